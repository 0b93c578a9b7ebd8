import { StaleProjection } from './check-freshness';

const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const NOBODY = 'nobody';

describe('StaleProjection (CHECK_WHEN_DATABASE_DOWN)', () => {
  const keys = new Map([['phone:abc', 'withdrawn-person']]);
  const subjects = new Map([['s-1', 'withdrawn-person']]);

  it('answers a known person from the copy kept when notifications stopped, once the database is away', () => {
    const stale = new StaleProjection<string>('serve_stale');
    stale.keep(keys, subjects, true);
    keys.clear(); // the live projection is emptied; the copy is not
    expect(stale.answer(down, { key: 'phone:abc' }, NOBODY)).toBe('withdrawn-person');
    expect(stale.answer(down, { subjectId: 's-1' }, NOBODY)).toBe('withdrawn-person');
    keys.set('phone:abc', 'withdrawn-person');
  });

  it('answers "nobody" for an unknown person only when the copy was a complete load', () => {
    const complete = new StaleProjection<string>('serve_stale');
    complete.keep(keys, subjects, true);
    expect(complete.answer(down, { key: 'phone:zzz' }, NOBODY)).toBe(NOBODY);
    const partial = new StaleProjection<string>('serve_stale');
    partial.keep(keys, subjects, false);
    expect(partial.answer(down, { key: 'phone:zzz' }, NOBODY)).toBeUndefined();
  });

  it('never answers for an error that is not the database being away', () => {
    const stale = new StaleProjection<string>('serve_stale');
    stale.keep(keys, subjects, true);
    const bug = new TypeError('x');
    expect(stale.answer(bug, { key: 'phone:abc' }, NOBODY)).toBeUndefined();
  });

  it('answers nothing under refuse, and nothing once the projection is live again', () => {
    const refuse = new StaleProjection<string>('refuse');
    refuse.keep(keys, subjects, true);
    expect(refuse.answer(down, { key: 'phone:abc' }, NOBODY)).toBeUndefined();
    const stale = new StaleProjection<string>('serve_stale');
    stale.keep(keys, subjects, true);
    stale.drop();
    expect(stale.answer(down, { key: 'phone:abc' }, NOBODY)).toBeUndefined();
  });

  it('keeps the fuller copy when the connection is lost again before the projection was reloaded', () => {
    const stale = new StaleProjection<string>('serve_stale');
    stale.keep(keys, subjects, true);
    stale.keep(new Map(), new Map(), false);
    expect(stale.answer(down, { key: 'phone:abc' }, NOBODY)).toBe('withdrawn-person');
  });
});
