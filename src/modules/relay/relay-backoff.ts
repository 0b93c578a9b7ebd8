/** How one attempt went, as the sender saw it (no body of the answer is ever kept). */
export type RelayAttempt =
  { delivered: true; status: number } | { delivered: false; status: number | null; error: string };

export interface RelayRetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long after Meta's delivery was received the relay keeps trying. */
  horizonMs: number;
}

export type RelayRetryDecision =
  { status: 'pending'; nextAttemptAt: Date } | { status: 'dead'; reason: string };

/**
 * After a failed attempt (`attempts` made so far): exponential backoff from the base, doubled per attempt with
 * half jitter (so retries of many deliveries spread out), capped; dead once the next attempt would fall past
 * the horizon counted from when Meta's delivery was received.
 */
export function decideRelayRetry(
  attempts: number,
  receivedAt: Date,
  policy: RelayRetryPolicy,
  { now, random = Math.random }: { now: number; random?: () => number },
): RelayRetryDecision {
  const deadline = receivedAt.getTime() + policy.horizonMs;
  const ceiling = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * 2 ** Math.min(30, Math.max(0, attempts - 1)),
  );
  const delay = ceiling / 2 + random() * (ceiling / 2);
  const next = now + delay;
  if (now >= deadline)
    return { status: 'dead', reason: `not delivered within the relay horizon after ${attempts} attempts` };
  // The last attempt happens at the horizon, not past it.
  return { status: 'pending', nextAttemptAt: new Date(Math.min(next, deadline)) };
}
