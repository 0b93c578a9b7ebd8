import { installProcessGuard, processGuardHits, uninstallProcessGuard } from './process-guard';

describe('the process guard', () => {
  const logged: { kind: string; databaseUnavailable: boolean; err: object }[] = [];
  beforeEach(() => {
    logged.length = 0;
    installProcessGuard((entry) => logged.push(entry));
  });
  afterEach(() => uninstallProcessGuard());

  it('logs an unhandled rejection with its kind and keeps the process alive', () => {
    const error = Object.assign(new Error('the database system is shutting down'), { code: '57P03' });
    process.emit('unhandledRejection', error, Promise.resolve());
    expect(processGuardHits()).toBe(1);
    expect(logged).toEqual([
      {
        kind: 'unhandledRejection',
        databaseUnavailable: true,
        err: expect.objectContaining({ message: 'the database system is shutting down' }),
      },
    ]);
  });

  it('logs an uncaught exception and counts it', () => {
    (process.emit as (event: string, ...args: unknown[]) => boolean)(
      'uncaughtException',
      new TypeError('boom'),
    );
    expect(processGuardHits()).toBe(1);
    expect(logged[0]).toMatchObject({ kind: 'uncaughtException', databaseUnavailable: false });
  });

  it('never logs fields other than name, message and stack (they may hold query parameters)', () => {
    const error = Object.assign(new Error('insert failed'), { parameters: ['+447700900123'] });
    process.emit('unhandledRejection', error, Promise.resolve());
    expect(JSON.stringify(logged)).not.toContain('+447700900123');
  });

  it('survives a logger that throws', () => {
    uninstallProcessGuard();
    installProcessGuard(() => {
      throw new Error('log sink down');
    });
    expect(() => process.emit('unhandledRejection', new Error('x'), Promise.resolve())).not.toThrow();
    expect(processGuardHits()).toBe(1);
  });

  it('is installed once, however often it is asked', () => {
    installProcessGuard((entry) => logged.push(entry));
    process.emit('unhandledRejection', new Error('once'), Promise.resolve());
    expect(logged).toHaveLength(1);
  });
});
