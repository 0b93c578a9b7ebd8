import {
  admitAttempt,
  failureLocks,
  isLocked,
  type LockoutPolicy,
  type LockoutState,
} from './lockout-policy';

const MINUTE = 60_000;
const policy: LockoutPolicy = { maxFailures: 3, windowMs: 10 * MINUTE, lockoutMs: 15 * MINUTE };
const t0 = new Date(Date.UTC(2026, 0, 1, 12));
const at = (minutes: number) => new Date(t0.getTime() + minutes * MINUTE);
const clean: LockoutState = { failedAttempts: 0, failuresSince: null, lockedUntil: null };

/** Attempts counted one after the other, as the row lock orders them; each failed unless said otherwise. */
function attempts(count: number, start: LockoutState, when: Date) {
  let state = start;
  const decisions = [];
  for (let i = 0; i < count; i++) {
    const decision = admitAttempt(state, when, policy);
    decisions.push(decision);
    state = decision.next;
  }
  return { decisions, state };
}

describe(admitAttempt.name, () => {
  it('admits the first attempts of a window and numbers them', () => {
    const { decisions } = attempts(3, clean, t0);
    expect(decisions.map((d) => [d.admitted, d.attempt])).toEqual([
      [true, 1],
      [true, 2],
      [true, 3],
    ]);
  });

  it('counts an attempt before its password is checked: a burst gets max tries and then locks', () => {
    // 100 attempts arriving together: none has failed yet when the next one is counted.
    const { decisions, state } = attempts(100, clean, t0);
    expect(decisions.filter((d) => d.admitted)).toHaveLength(policy.maxFailures);
    expect(decisions.slice(policy.maxFailures).every((d) => !d.admitted)).toBe(true);
    expect(isLocked(state, t0)).toBe(true);
    expect(state.lockedUntil).toEqual(at(15));
  });

  it('refuses every attempt while locked, and does not prolong the lock', () => {
    const locked: LockoutState = { failedAttempts: 3, failuresSince: t0, lockedUntil: at(15) };
    const decision = admitAttempt(locked, at(14), policy);
    expect(decision.admitted).toBe(false);
    expect(decision.next).toEqual(locked);
  });

  it('lets failures decay: a window older than windowMs starts over', () => {
    const twoFailures: LockoutState = { failedAttempts: 2, failuresSince: t0, lockedUntil: null };
    expect(admitAttempt(twoFailures, at(9), policy)).toMatchObject({ admitted: true, attempt: 3 });
    expect(admitAttempt(twoFailures, at(10), policy)).toMatchObject({
      admitted: true,
      attempt: 1,
      next: { failedAttempts: 1, failuresSince: at(10) },
    });
  });

  it('starts a fresh window once a lock has run out', () => {
    const lockRanOut: LockoutState = { failedAttempts: 3, failuresSince: at(5), lockedUntil: at(15) };
    const decision = admitAttempt(lockRanOut, at(15), policy);
    expect(decision).toMatchObject({ admitted: true, attempt: 1 });
    expect(decision.next).toEqual({ failedAttempts: 1, failuresSince: at(15), lockedUntil: null });
    // ...and counts on from there (the expired lock does not keep restarting the window).
    expect(admitAttempt(decision.next, at(16), policy)).toMatchObject({ admitted: true, attempt: 2 });
  });
});

describe(failureLocks.name, () => {
  it('locks on the failure of the window’s last admitted attempt only', () => {
    expect([1, 2, 3].map((n) => failureLocks(n, policy))).toEqual([false, false, true]);
  });
});
