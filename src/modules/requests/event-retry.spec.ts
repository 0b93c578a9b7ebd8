import { decideEventRetry, EVENT_MAX_ATTEMPTS } from './event-retry';

describe(decideEventRetry.name, () => {
  const now = Date.UTC(2026, 0, 1);
  const failure = (status: number | null, retryAfterMs?: number) => ({
    delivered: false as const,
    status,
    error: `receiver answered ${status}`,
    retryAfterMs,
  });
  const delayOf = (decision: ReturnType<typeof decideEventRetry>) =>
    decision.status === 'retrying' ? decision.nextAttemptAt.getTime() - now : null;

  it('backs off exponentially from the base delay, within half jitter', () => {
    const options = { now, baseDelayMs: 1000 };
    expect(delayOf(decideEventRetry(1, failure(500), { ...options, random: () => 0 }))).toBe(500);
    expect(delayOf(decideEventRetry(1, failure(500), { ...options, random: () => 0.5 }))).toBe(750);
    expect(delayOf(decideEventRetry(4, failure(null), { ...options, random: () => 0 }))).toBe(4000);
  });

  it('waits at least as long as the receiver asked with Retry-After', () => {
    const decision = decideEventRetry(1, failure(503, 120_000), { now, baseDelayMs: 1000, random: () => 0 });
    expect(delayOf(decision)).toBe(120_000);
  });

  it('never waits more than six hours at a time', () => {
    const decision = decideEventRetry(14, failure(500), { now, baseDelayMs: 60_000, random: () => 0.999 });
    expect(delayOf(decision)).toBeLessThanOrEqual(6 * 3600_000);
  });

  it('gives up after the last attempt, saying why', () => {
    expect(decideEventRetry(EVENT_MAX_ATTEMPTS, failure(500), { now, baseDelayMs: 1000 })).toEqual({
      status: 'failed',
      reason: `gave up after ${EVENT_MAX_ATTEMPTS} attempts: receiver answered 500`,
    });
  });

  it('gives up at once when the receiver answers 410 Gone', () => {
    expect(decideEventRetry(1, failure(410), { now, baseDelayMs: 1000 }).status).toBe('failed');
  });
});
