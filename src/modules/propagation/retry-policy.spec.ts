import { decideRetry, MAX_ATTEMPTS } from './retry-policy';

const NOW = Date.UTC(2026, 0, 1);
const delayOf = (decision: ReturnType<typeof decideRetry>) =>
  decision.status === 'retrying' ? decision.nextAttemptAt.getTime() - NOW : null;

describe('decideRetry', () => {
  it('retries a transient failure with backoff and jitter', () => {
    // Attempt n waits between half and all of 2 s * 2^(n-1): full jitter over the upper half.
    expect(delayOf(decideRetry('transient', 1, 'x', { now: NOW, random: () => 0 }))).toBe(1_000);
    expect(delayOf(decideRetry('transient', 1, 'x', { now: NOW, random: () => 0.999 }))).toBe(1_999);
    expect(delayOf(decideRetry('transient', 3, 'x', { now: NOW, random: () => 0 }))).toBe(4_000);
    expect(delayOf(decideRetry('transient', 3, 'x', { now: NOW, random: () => 0.5 }))).toBe(6_000);
  });

  it('starts the backoff from the configured base delay (RETRY_BASE_DELAY_MS) and doubles it', () => {
    const at = (attempts: number) =>
      delayOf(decideRetry('transient', attempts, 'x', { now: NOW, random: () => 0, baseDelayMs: 100 }));
    expect(at(1)).toBe(50);
    expect(at(2)).toBe(100);
    expect(at(4)).toBe(400);
  });

  it('spends the attempt on a transient failure', () => {
    expect(decideRetry('transient', 2, 'x', { now: NOW })).toMatchObject({ refundAttempt: false });
  });

  it('doubles the wait with every attempt, up to 17 to 34 minutes before the last one', () => {
    const least = (attempts: number) =>
      delayOf(decideRetry('transient', attempts, 'x', { now: NOW, random: () => 0 }));
    for (let attempts = 1; attempts < MAX_ATTEMPTS - 1; attempts++)
      expect(least(attempts + 1)).toBe(2 * least(attempts)!);
    expect(least(MAX_ATTEMPTS - 1)).toBe(1_024_000);
  });

  it('treats an expired token like a transient failure', () => {
    expect(decideRetry('auth_expired', 1, 'x', { now: NOW, random: () => 0 })).toMatchObject({
      status: 'retrying',
      refundAttempt: false,
    });
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts, saying why`, () => {
    expect(decideRetry('transient', MAX_ATTEMPTS, 'HTTP 503', { now: NOW })).toEqual({
      status: 'dead',
      reason: `gave up after ${MAX_ATTEMPTS} attempts: HTTP 503`,
    });
    expect(decideRetry('transient', MAX_ATTEMPTS - 1, 'HTTP 503', { now: NOW }).status).toBe('retrying');
  });

  it("waits out a rate limit at the vendor's time without spending an attempt", () => {
    const decision = decideRetry('rate_limited', 5, 'x', { now: NOW, retryAfterMs: 10_000 });
    expect(decision).toMatchObject({ status: 'retrying', refundAttempt: true });
    expect(delayOf(decision)).toBe(10_000);
  });

  it('waits a second after a rate limit that names no wait, and never less than 50 ms', () => {
    expect(delayOf(decideRetry('rate_limited', 1, 'x', { now: NOW }))).toBe(1_000);
    expect(delayOf(decideRetry('rate_limited', 1, 'x', { now: NOW, retryAfterMs: 0 }))).toBe(50);
  });

  it('never gives up on a rate limit, however many attempts came before', () => {
    expect(decideRetry('rate_limited', MAX_ATTEMPTS + 5, 'x', { now: NOW }).status).toBe('retrying');
  });

  it('ends a permanent failure dead at once, with the error as the reason', () => {
    expect(decideRetry('permanent', 1, 'HTTP 410 gone', { now: NOW })).toEqual({
      status: 'dead',
      reason: 'HTTP 410 gone',
    });
  });
});
