import {
  type ConsentPush,
  NOT_FOUND_AT_VENDOR,
  type OperationEvidence,
  type PushOutcome,
  RateLimitedError,
  type RemotePersonRecord,
  type RequestOutcome,
} from '../connectors';
import type { DeliveryOperation } from './propagation.constants';
import { decideRetry, NO_OUTCOME_RETRY_MS } from './retry-policy';

/** Why a delivery whose person was not found is retried later: a backfill may still link them. */
export const WAITING_FOR_BACKFILL = 'waiting_for_backfill';

/** A delivery as the claim returned it: already counted as one more attempt. */
export interface ClaimedDelivery {
  id: string;
  subject_id: string;
  operation: DeliveryOperation;
  attempts: number;
  created_at: Date;
  /** The data-subject request it serves; null for consent updates and records that came back. */
  request_id?: string | null;
}

/** What one attempt leaves on a delivery row. */
export interface DeliveryUpdate {
  id: string;
  status: 'succeeded' | 'skipped' | 'retrying' | 'dead' | 'awaiting_confirmation';
  reason: string | null;
  error: string | null;
  errorClass: string | null;
  nextAttemptAt: Date | null;
  /** The attempt did not count (a rate limit): the claim's increment is taken back. */
  refund: boolean;
  vendorReference: string | null;
  /** Request operations: non-personal proof of what the processor did (merged into the row's evidence). */
  evidence?: OperationEvidence;
  /** Access requests: what the vendor holds on the person (sealed into the row's payload). */
  data?: RemotePersonRecord[];
  /** awaiting_confirmation: when it is settled as acknowledged, not confirmed. */
  confirmationDueAt?: Date;
}

/** A vendor's record of a person, learnt from a successful push. */
export interface LearntRemote {
  subjectId: string;
  remoteId: string;
  recordType: string;
  pushed: Record<string, unknown> | null;
}

export interface RecordedBatch {
  updates: DeliveryUpdate[];
  remotes: LearntRemote[];
  /** Seconds from each succeeded delivery's creation to now. */
  latencies: number[];
}

const ended = (
  id: string,
  status: 'succeeded' | 'skipped',
  reason: string | null,
  vendorReference: string | null = null,
): DeliveryUpdate => ({
  id,
  status,
  reason,
  error: null,
  errorClass: null,
  nextAttemptAt: null,
  refund: false,
  vendorReference,
});

/**
 * What a batch's push results mean for its delivery rows: success, skip, a retry at the policy's time,
 * or dead. Pure: the time and the jitter come in, the row updates (one per claimed delivery) come out.
 */
export function recordOutcomes(input: {
  claimed: readonly ClaimedDelivery[];
  outcomes: readonly (PushOutcome | RequestOutcome)[];
  pushes?: readonly Pick<ConsentPush, 'deliveryId' | 'subjectId'>[];
  /** How long a processor that acknowledged a request has to confirm it (PROCESSOR_CONFIRMATION_HOURS). */
  confirmationMs?: number;
  now: number;
  random?: () => number;
  /** The retry policy's first transient backoff (configuration); the policy's default when absent. */
  baseDelayMs?: number;
  /**
   * A backfill of the connection is running: a person not found yet may be linked by it, so their delivery waits
   * this long and tries again instead of ending skipped.
   */
  waitForBackfillMs?: number;
}): RecordedBatch {
  const { claimed, outcomes, pushes = [], now, random, baseDelayMs, waitForBackfillMs } = input;
  const confirmationMs = input.confirmationMs ?? 168 * 3_600_000;
  const byId = new Map(claimed.map((c) => [c.id, c]));
  const subjectOf = new Map(pushes.map((p) => [p.deliveryId, p.subjectId]));
  const updates = new Map<string, DeliveryUpdate>();
  const remotes: LearntRemote[] = [];
  const latencies: number[] = [];
  for (const outcome of outcomes) {
    const delivery = byId.get(outcome.deliveryId);
    if (!delivery) continue;
    switch (outcome.outcome) {
      case 'succeeded': {
        const update = ended(delivery.id, 'succeeded', null, outcome.vendorReference ?? null);
        if ('evidence' in outcome && outcome.evidence) update.evidence = outcome.evidence;
        if ('data' in outcome && outcome.data) update.data = outcome.data;
        updates.set(delivery.id, update);
        // An erasure's records are gone: nothing to link. Other operations' records stand for the person.
        if (delivery.operation !== 'erasure')
          for (const record of outcome.records ?? [])
            remotes.push({
              subjectId: subjectOf.get(delivery.id) ?? delivery.subject_id,
              remoteId: record.remoteId,
              recordType: record.recordType,
              pushed: ('pushed' in outcome ? outcome.pushed : undefined) ?? null,
            });
        latencies.push((now - new Date(delivery.created_at).getTime()) / 1000);
        break;
      }
      case 'awaiting_confirmation':
        // The processor accepted it and confirms by its signed callback, or the wait runs out.
        updates.set(delivery.id, {
          ...ended(delivery.id, 'succeeded', null, outcome.vendorReference ?? null),
          status: 'awaiting_confirmation',
          ...(outcome.evidence ? { evidence: outcome.evidence } : {}),
          confirmationDueAt: new Date(now + confirmationMs),
        });
        break;
      case 'skipped':
        if (waitForBackfillMs !== undefined && outcome.reason === NOT_FOUND_AT_VENDOR) {
          // Not an attempt that failed: the claim's increment is taken back.
          updates.set(delivery.id, {
            ...ended(delivery.id, 'skipped', WAITING_FOR_BACKFILL),
            status: 'retrying',
            nextAttemptAt: new Date(now + waitForBackfillMs),
            refund: true,
          });
          break;
        }
        updates.set(delivery.id, ended(delivery.id, 'skipped', outcome.reason));
        break;
      case 'failed': {
        const error = outcome.error;
        const decision = decideRetry(error.errorClass, delivery.attempts, error.message, {
          now,
          random,
          baseDelayMs,
          retryAfterMs: error instanceof RateLimitedError ? error.retryAfterMs : undefined,
        });
        const failed = {
          id: delivery.id,
          error: error.message,
          errorClass: error.errorClass,
          vendorReference: null,
        };
        updates.set(
          delivery.id,
          decision.status === 'dead'
            ? { ...failed, status: 'dead', reason: decision.reason, nextAttemptAt: null, refund: false }
            : {
                ...failed,
                status: 'retrying',
                reason: null,
                nextAttemptAt: decision.nextAttemptAt,
                refund: decision.refundAttempt,
              },
        );
        break;
      }
    }
  }
  // A delivery the connector said nothing about is retried rather than forgotten.
  for (const c of claimed) {
    if (!updates.has(c.id))
      updates.set(c.id, {
        id: c.id,
        status: 'retrying',
        reason: null,
        error: 'connector returned no outcome',
        errorClass: 'transient',
        nextAttemptAt: new Date(now + NO_OUTCOME_RETRY_MS),
        refund: false,
        vendorReference: null,
      });
  }
  return { updates: [...updates.values()], remotes, latencies };
}
