/** Attempts per event before it is given up (with the default base of 2 s: about 12 hours of trying). */
export const EVENT_MAX_ATTEMPTS = 15;
const MAX_DELAY_MS = 6 * 60 * 60_000;

/** How one attempt went, as the sender saw it. */
export type EventAttempt =
  | { delivered: true; status: number }
  | { delivered: false; status: number | null; error: string; retryAfterMs?: number };

export type EventRetryDecision =
  { status: 'retrying'; nextAttemptAt: Date } | { status: 'failed'; reason: string };

/**
 * What to do with an event whose attempt failed (Standard Webhooks receivers: any non-2xx is a failure and
 * the sender retries with backoff). 410 Gone means the endpoint is retired: given up at once. Otherwise
 * exponential backoff with half jitter from `baseDelayMs`, at least the receiver's Retry-After, at most six
 * hours a wait, until EVENT_MAX_ATTEMPTS.
 */
export function decideEventRetry(
  attempts: number,
  attempt: Extract<EventAttempt, { delivered: false }>,
  { now, baseDelayMs, random = Math.random }: { now: number; baseDelayMs: number; random?: () => number },
): EventRetryDecision {
  if (attempt.status === 410) return { status: 'failed', reason: 'receiver answered 410 Gone' };
  if (attempts >= EVENT_MAX_ATTEMPTS)
    return { status: 'failed', reason: `gave up after ${attempts} attempts: ${attempt.error}` };
  const ceiling = Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** Math.max(0, attempts - 1));
  const backoff = ceiling / 2 + random() * (ceiling / 2);
  const delay = Math.min(MAX_DELAY_MS, Math.max(backoff, attempt.retryAfterMs ?? 0));
  return { status: 'retrying', nextAttemptAt: new Date(now + delay) };
}
