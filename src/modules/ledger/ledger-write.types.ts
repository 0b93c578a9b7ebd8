import type { EntityManager } from 'typeorm';
import type {
  ConsentActor,
  ConsentMethod,
  ConsentSource,
  ConsentStatus,
  EventEffect,
  IdentityInput,
} from './ledger.types';

/** The types of the ledger's write path (LedgerService re-exports them). */
export type EvidenceValue = string | number | boolean | null;

export interface RecordConsentInput {
  source: ConsentSource;
  sourceEventId: string;
  /** The person, by identifiers (found or created), or by an existing subject id. */
  identities?: readonly IdentityInput[];
  subjectId?: string;
  purpose: string;
  channel: string;
  /** Null or '*' = every scope (for WhatsApp: every business number). */
  scope: string | null;
  status: ConsentStatus;
  method: ConsentMethod;
  actor: ConsentActor;
  capturedAt: Date;
  receivedAt: Date;
  legalBasis?: string | null;
  noticeVersion?: string | null;
  policyUrl?: string | null;
  language?: string | null;
  payloadDigest?: string | null;
  inboxId?: string | null;
  evidence?: Record<string, EvidenceValue>;
  sealedEvidence?: Record<string, EvidenceValue>;
  /** The connection a CRM-sourced change came from: it already has it, so it is not told again. */
  originConnectionId?: string | null;
}

export interface RecordConsentResult {
  /** Empty when suppressed (nothing was written). */
  eventId: string;
  /** Empty when suppressed: the erased person's skeleton is not named. */
  subjectId: string;
  /**
   * suppressed: the identifiers belong to an erased person (or the subject id names one), and this source may not
   * bring them back: nothing was written.
   */
  effect: EventEffect | 'suppressed';
  /** True when (source, source_event_id) was already in the ledger: nothing was written. */
  duplicate: boolean;
}

/** One person's consent state changed by one event. */
export interface StateChange {
  subjectId: string;
  eventId: string;
  source: ConsentSource;
  originConnectionId: string | null;
}

/**
 * Runs inside the ledger transaction when consent states changed (propagation plans here): one call per event
 * recorded alone, one call for a batch recorded together (ConsentBatchRecorder), in the order they happened.
 */
export type StateChangedHook = (manager: EntityManager, changes: readonly StateChange[]) => Promise<void>;

/**
 * Runs inside the ledger transaction when people were merged (modules holding rows per person repoint
 * them to the survivor here), before the state-changed hooks of the merge.
 */
export type SubjectsMergedHook = (
  manager: EntityManager,
  merge: { survivorId: string; mergedIds: string[] },
) => Promise<void>;

/** Why the identifiers being resolved are one person, and where that was seen (never identifier values). */
export interface MergeEvidence {
  source: ConsentSource;
  reason: 'crm_record_joined_identifiers';
  evidence: Record<string, EvidenceValue>;
}
