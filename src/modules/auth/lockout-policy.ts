/**
 * Console sign-in lockout, as a pure rule over one user's counters (the repository applies it under the
 * user's row lock, so concurrent attempts are decided one after the other).
 *
 * An attempt is counted BEFORE its password is checked: that is what stops a burst of parallel guesses,
 * which would otherwise all be checked against the lock as it was before any of them failed. At most
 * `maxFailures` attempts are checked per window; the next one, or any attempt while locked, is refused
 * without looking at the password. Failures decay: a window older than `windowMs` starts over, and so
 * does the count once a lock has run out. A successful sign-in clears the counters.
 */
export interface LockoutPolicy {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
}

export const LOCKOUT_POLICY: LockoutPolicy = {
  maxFailures: 5,
  windowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
};

/** One user's sign-in counters (columns of console_user). */
export interface LockoutState {
  failedAttempts: number;
  failuresSince: Date | null;
  lockedUntil: Date | null;
}

export interface AttemptDecision {
  /** Whether the password may be checked at all. */
  admitted: boolean;
  /** This attempt's number in the current window (for a failure: whether it is the one that locks). */
  attempt: number;
  next: LockoutState;
}

export function isLocked(state: Pick<LockoutState, 'lockedUntil'>, now: Date): boolean {
  return state.lockedUntil !== null && state.lockedUntil.getTime() > now.getTime();
}

/** Counts an attempt before its password is checked, and says whether it may be checked. */
export function admitAttempt(state: LockoutState, now: Date, policy = LOCKOUT_POLICY): AttemptDecision {
  if (isLocked(state, now)) return { admitted: false, attempt: state.failedAttempts, next: state };
  const windowOver =
    state.failuresSince === null || now.getTime() - state.failuresSince.getTime() >= policy.windowMs;
  // An expired lock also starts a fresh window: the failures that caused it have been paid for.
  const fresh = windowOver || state.lockedUntil !== null;
  const attempt = (fresh ? 0 : state.failedAttempts) + 1;
  const failuresSince = fresh ? now : state.failuresSince;
  if (attempt > policy.maxFailures) {
    // Earlier attempts of this window are still being checked: this one is over the limit whatever they
    // turn out to be, and it locks the account now rather than after they fail.
    return {
      admitted: false,
      attempt,
      next: { failedAttempts: attempt, failuresSince, lockedUntil: lockEnd(now, policy) },
    };
  }
  return { admitted: true, attempt, next: { failedAttempts: attempt, failuresSince, lockedUntil: null } };
}

/** Whether the failure of an admitted attempt locks the account (it used the window's last try). */
export function failureLocks(attempt: number, policy = LOCKOUT_POLICY): boolean {
  return attempt >= policy.maxFailures;
}

export function lockEnd(now: Date, policy = LOCKOUT_POLICY): Date {
  return new Date(now.getTime() + policy.lockoutMs);
}
