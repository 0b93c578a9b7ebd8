import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { decide, type StateRow } from './conflict-rules';
import { IdentityService, type PreparedIdentity } from './identity.service';
import {
  ALL_SCOPES,
  type ConsentMethod,
  type ConsentSource,
  type ConsentStatus,
  type EventEffect,
  type IdentityInput,
  type IdentityKind,
} from './ledger.types';

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
  actor: 'subject' | 'automation' | 'admin' | 'crm';
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
  eventId: string;
  subjectId: string;
  effect: EventEffect;
  /** True when (source, source_event_id) was already in the ledger: nothing was written. */
  duplicate: boolean;
}

export class SubjectNotFoundError extends Error {
  constructor(readonly subjectId: string) {
    super(`No subject ${subjectId}`);
  }
}

interface StateDbRow {
  scope: string;
  status: ConsentStatus;
  captured_at: Date;
}

/** Runs inside the ledger transaction when a person's consent state changed (propagation plans here). */
export type StateChangedHook = (
  manager: EntityManager,
  change: { subjectId: string; eventId: string; source: ConsentSource; originConnectionId: string | null },
) => Promise<void>;

/** Channel on which consent-state changes are announced (cache invalidation, propagation wake-up). */
export const CONSENT_CHANGED_CHANNEL = 'cg_consent_changed';
/** Channel on which new identities are announced (a reader may have cached "nobody is known by this"). */
export const IDENTITY_ADDED_CHANNEL = 'cg_identity_added';

/** Folds a 32-byte hash into a signed 64-bit advisory-lock key. */
function lockKey(hash: Buffer): string {
  return hash.readBigInt64BE(0).toString();
}

/**
 * The consent ledger: subjects and their identities, append-only events with evidence, and the state
 * projection, all written in the caller's transaction.
 */
@Injectable()
export class LedgerService {
  private readonly logger = new Logger(LedgerService.name);
  private readonly stateChangedHooks: StateChangedHook[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly identities: IdentityService,
    private readonly crypto: CryptoService,
    private readonly metrics: MetricsService,
  ) {}

  /** Registers work that must commit with every change of state (deliveries and their jobs). */
  onStateChanged(hook: StateChangedHook): void {
    this.stateChangedHooks.push(hook);
  }

  /** Runs fn in one transaction (the unit in which events, state and follow-up jobs commit together). */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(fn);
  }

  async findSubjectId(manager: EntityManager, prepared: readonly PreparedIdentity[]): Promise<string | null> {
    if (prepared.length === 0) return null;
    const rows: { subject_id: string }[] = await manager.query(
      `SELECT si.subject_id FROM subject_identity si
         JOIN unnest($1::text[], $2::bytea[]) AS x(kind, hash) ON si.kind = x.kind AND si.value_hash = x.hash
        ORDER BY si.created_at LIMIT 1`,
      [prepared.map((p) => p.kind), prepared.map((p) => p.hash)],
    );
    return rows[0]?.subject_id ?? null;
  }

  /**
   * Finds the person any of these identifiers belongs to, or creates them, and attaches the identifiers
   * not yet known. Concurrent resolutions of the same identifiers are serialised on advisory locks.
   */
  async resolveSubject(manager: EntityManager, inputs: readonly IdentityInput[]): Promise<string> {
    const prepared = this.identities.prepare(inputs);
    if (prepared.length === 0) throw new Error('Cannot resolve a subject without a usable identifier');
    const keys = [...new Set(prepared.map((p) => lockKey(p.hash)))].sort();
    await manager.query(`SELECT pg_advisory_xact_lock(k::bigint) FROM unnest($1::text[]) AS k`, [keys]);
    let subjectId = await this.findSubjectId(manager, prepared);
    if (!subjectId) {
      const created: { id: string }[] = await manager.query(
        `INSERT INTO subject DEFAULT VALUES RETURNING id`,
      );
      subjectId = created[0].id;
    }
    await this.attachIdentities(manager, subjectId, prepared);
    return subjectId;
  }

  async attachIdentities(manager: EntityManager, subjectId: string, prepared: readonly PreparedIdentity[]) {
    if (prepared.length === 0) return;
    const sealed = prepared.map((p) => this.crypto.seal(p.normalised));
    const added: { kind: IdentityKind; value_hash: Buffer }[] = await manager.query(
      `INSERT INTO subject_identity (subject_id, kind, value_hash, value_ciphertext, key_id)
       SELECT $1, x.kind, x.hash, x.ct, x.key_id
         FROM unnest($2::text[], $3::bytea[], $4::bytea[], $5::text[]) AS x(kind, hash, ct, key_id)
       ON CONFLICT ON CONSTRAINT uq_subject_identity_kind_hash DO NOTHING
       RETURNING kind, value_hash`,
      [
        subjectId,
        prepared.map((p) => p.kind),
        prepared.map((p) => p.hash),
        sealed.map((s) => s.ciphertext),
        sealed.map((s) => s.keyId),
      ],
    );
    if (added.length) {
      await manager.query(`SELECT pg_notify($1, k) FROM unnest($2::text[]) AS k`, [
        IDENTITY_ADDED_CHANNEL,
        added.map((a) => IdentityService.cacheKey(a.kind, a.value_hash)),
      ]);
    }
  }

  /**
   * Links new identifiers to the person known by the old ones (WhatsApp "user_changed_number"). An
   * identifier that already belongs to someone else stays with them: merging people is a human decision.
   */
  async linkIdentities(
    manager: EntityManager,
    known: readonly IdentityInput[],
    added: readonly IdentityInput[],
  ): Promise<string> {
    const subjectId = await this.resolveSubject(manager, known);
    const prepared = this.identities.prepare(added);
    const owner = await this.findSubjectId(manager, prepared);
    if (owner && owner !== subjectId) {
      this.logger.warn({ subjectId, owner }, 'new number already belongs to another subject; not merged');
    }
    await this.attachIdentities(manager, subjectId, prepared);
    return subjectId;
  }

  async recordConsent(manager: EntityManager, input: RecordConsentInput): Promise<RecordConsentResult> {
    const existing: { id: string; subject_id: string; effect: EventEffect }[] = await manager.query(
      `SELECT id, subject_id, effect FROM consent_event WHERE source = $1 AND source_event_id = $2`,
      [input.source, input.sourceEventId],
    );
    if (existing[0]) {
      return {
        eventId: existing[0].id,
        subjectId: existing[0].subject_id,
        effect: existing[0].effect,
        duplicate: true,
      };
    }

    let subjectId: string;
    if (input.subjectId) {
      const found: unknown[] = await manager.query(`SELECT 1 FROM subject WHERE id = $1`, [input.subjectId]);
      if (found.length === 0) throw new SubjectNotFoundError(input.subjectId);
      subjectId = input.subjectId;
      if (input.identities?.length)
        await this.attachIdentities(manager, subjectId, this.identities.prepare(input.identities));
    } else {
      subjectId = await this.resolveSubject(manager, input.identities ?? []);
    }

    // One writer per person at a time, so the conflict rules see a stable state.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, [subjectId]);

    const scope = input.scope && input.scope.trim() ? input.scope : ALL_SCOPES;
    const stateRows: StateDbRow[] = await manager.query(
      `SELECT scope, status, captured_at FROM consent_state WHERE subject_id = $1 AND purpose = $2 AND channel = $3`,
      [subjectId, input.purpose, input.channel],
    );
    const rows: StateRow[] = stateRows.map((r) => ({
      scope: r.scope,
      status: r.status,
      capturedAt: new Date(r.captured_at),
    }));
    const decision = decide({ scope, status: input.status, capturedAt: input.capturedAt }, rows);

    const sealed =
      input.sealedEvidence && Object.keys(input.sealedEvidence).length
        ? this.crypto.seal(JSON.stringify(input.sealedEvidence))
        : null;
    const inserted: { id: string }[] = await manager.query(
      `INSERT INTO consent_event (subject_id, purpose, channel, scope, status, effect, source, source_event_id, method,
          actor, captured_at, received_at, legal_basis, notice_version, policy_url, language, payload_digest, inbox_id,
          evidence, sealed_evidence, key_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)
       ON CONFLICT ON CONSTRAINT uq_consent_event_source DO NOTHING
       RETURNING id`,
      [
        subjectId,
        input.purpose,
        input.channel,
        scope,
        input.status,
        decision.effect,
        input.source,
        input.sourceEventId,
        input.method,
        input.actor,
        input.capturedAt,
        input.receivedAt,
        input.legalBasis ?? null,
        input.noticeVersion ?? null,
        input.policyUrl ?? null,
        input.language ?? null,
        input.payloadDigest ?? null,
        input.inboxId ?? null,
        JSON.stringify(input.evidence ?? {}),
        sealed?.ciphertext ?? null,
        sealed?.keyId ?? null,
      ],
    );
    if (!inserted[0]) {
      // A concurrent transaction recorded the same source event first.
      const again: { id: string; subject_id: string; effect: EventEffect }[] = await manager.query(
        `SELECT id, subject_id, effect FROM consent_event WHERE source = $1 AND source_event_id = $2`,
        [input.source, input.sourceEventId],
      );
      return {
        eventId: again[0].id,
        subjectId: again[0].subject_id,
        effect: again[0].effect,
        duplicate: true,
      };
    }
    const eventId = inserted[0].id;

    if (decision.writes.length) {
      await manager.query(
        `INSERT INTO consent_state (subject_id, purpose, channel, scope, status, captured_at, source, event_id)
         SELECT $1, $2, $3, s, $4, $5, $6, $7 FROM unnest($8::text[]) AS s
         ON CONFLICT ON CONSTRAINT pk_consent_state DO UPDATE
           SET status = EXCLUDED.status, captured_at = EXCLUDED.captured_at, source = EXCLUDED.source,
               event_id = EXCLUDED.event_id, version = consent_state.version + 1, updated_at = now()`,
        [
          subjectId,
          input.purpose,
          input.channel,
          input.status,
          input.capturedAt,
          input.source,
          eventId,
          decision.writes,
        ],
      );
      await manager.query(`SELECT pg_notify($1, $2)`, [CONSENT_CHANGED_CHANNEL, subjectId]);
    }
    if (decision.effect === 'changed') {
      for (const hook of this.stateChangedHooks)
        await hook(manager, {
          subjectId,
          eventId,
          source: input.source,
          originConnectionId: input.originConnectionId ?? null,
        });
    }
    this.metrics.consentEvents.inc({ source: input.source, status: input.status, effect: decision.effect });
    return { eventId, subjectId, effect: decision.effect, duplicate: false };
  }
}
