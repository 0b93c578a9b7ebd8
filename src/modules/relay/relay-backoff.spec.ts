import { decideRelayRetry } from './relay-backoff';

const HOUR = 3_600_000;
const policy = { baseDelayMs: 1_000, maxDelayMs: HOUR, horizonMs: 7 * 24 * HOUR };
const received = new Date(Date.UTC(2026, 0, 1));
const at = (ms: number) => received.getTime() + ms;

describe('relay retry after a failed attempt', () => {
  it('waits between half and all of base × 2^(attempts-1)', () => {
    const low = decideRelayRetry(3, received, policy, { now: at(0), random: () => 0 });
    const high = decideRelayRetry(3, received, policy, { now: at(0), random: () => 1 });
    expect(low).toEqual({ status: 'pending', nextAttemptAt: new Date(at(2_000)) });
    expect(high).toEqual({ status: 'pending', nextAttemptAt: new Date(at(4_000)) });
  });

  it('never waits more than the cap, however many attempts were made', () => {
    const decision = decideRelayRetry(60, received, policy, { now: at(HOUR), random: () => 1 });
    expect(decision).toEqual({ status: 'pending', nextAttemptAt: new Date(at(2 * HOUR)) });
  });

  it('makes the last attempt at the horizon, not past it', () => {
    const now = at(policy.horizonMs - 60_000);
    const decision = decideRelayRetry(40, received, policy, { now, random: () => 1 });
    expect(decision).toEqual({ status: 'pending', nextAttemptAt: new Date(at(policy.horizonMs)) });
  });

  it('is dead once an attempt at or after the horizon fails', () => {
    const decision = decideRelayRetry(41, received, policy, { now: at(policy.horizonMs), random: () => 0 });
    expect(decision.status).toBe('dead');
  });
});
