import type { ConnectorErrorClass } from '../connectors';

export const MAX_ATTEMPTS = 12;
export const BASE_DELAY_MS = 2_000;
const MAX_DELAY_MS = 60 * 60_000;
/** A vendor that names no wait after a 429 gets this one. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;
/** A delivery the connector said nothing about is tried again after this long. */
export const NO_OUTCOME_RETRY_MS = 5_000;

export type RetryDecision =
  { status: 'retrying'; nextAttemptAt: Date; refundAttempt: boolean } | { status: 'dead'; reason: string };

export interface RetryContext {
  /** The clock's time of the failure (ms since the epoch). */
  now: number;
  /** The vendor's own wait after a 429, when it named one. */
  retryAfterMs?: number;
  /** The jitter source, [0, 1). */
  random?: () => number;
  /** The first transient backoff (RETRY_BASE_DELAY_MS); each further attempt doubles it. */
  baseDelayMs?: number;
}

/**
 * What to do with a delivery whose attempt failed, by error class (DESIGN §3): a rate limit re-schedules
 * at the vendor's time without spending an attempt; transient errors back off exponentially with full
 * jitter until MAX_ATTEMPTS; permanent errors are dead at once (a DPO can retry them).
 */
export function decideRetry(
  errorClass: ConnectorErrorClass,
  attempts: number,
  message: string,
  { now, retryAfterMs, random = Math.random, baseDelayMs = BASE_DELAY_MS }: RetryContext,
): RetryDecision {
  switch (errorClass) {
    case 'rate_limited':
      return {
        status: 'retrying',
        nextAttemptAt: new Date(now + Math.max(retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS, 50)),
        refundAttempt: true,
      };
    case 'auth_expired':
    case 'transient': {
      if (attempts >= MAX_ATTEMPTS)
        return { status: 'dead', reason: `gave up after ${attempts} attempts: ${message}` };
      const ceiling = Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** Math.max(0, attempts - 1));
      const delay = ceiling / 2 + random() * (ceiling / 2);
      return { status: 'retrying', nextAttemptAt: new Date(now + delay), refundAttempt: false };
    }
    case 'permanent':
      return { status: 'dead', reason: message };
  }
}
