import { Logger } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { UserBootstrap } from './user-bootstrap';
import type { UserService } from './user.service';

describe(UserBootstrap.name, () => {
  afterEach(() => jest.restoreAllMocks());

  it('creates the first admin without writing the address to the logs', async () => {
    const logged: unknown[] = [];
    for (const level of ['log', 'debug', 'warn', 'error', 'verbose'] as const)
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => void logged.push(args));
    const created: unknown[] = [];
    const users = {
      count: () => Promise.resolve(0),
      create: (input: unknown) => Promise.resolve(void created.push(input)),
    } as unknown as UserService;
    const config = {
      bootstrapAdmin: { email: 'first.admin@example.com', password: 'x'.repeat(16) },
    } as AppConfig;

    await new UserBootstrap(users, config).onApplicationBootstrap();

    expect(created).toEqual([expect.objectContaining({ email: 'first.admin@example.com', role: 'admin' })]);
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify(logged)).not.toContain('first.admin');
  });
});
