import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { decide, type StateRow } from './conflict-rules';
import { ConsentEventRepository } from './consent-event.repository';
import { ConsentStateRepository } from './consent-state.repository';
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
import { Notifications } from '../../platform/database/notifications';
import { SubjectRepository, type SealedIdentityRows } from './subject.repository';

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
    private readonly subjects: SubjectRepository,
    private readonly events: ConsentEventRepository,
    private readonly states: ConsentStateRepository,
    private readonly notifications: Notifications,
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
    return this.events.transaction(fn);
  }

  async findSubjectId(manager: EntityManager, prepared: readonly PreparedIdentity[]): Promise<string | null> {
    if (prepared.length === 0) return null;
    return this.subjects.findByIdentities(
      manager,
      prepared.map((p) => p.kind),
      prepared.map((p) => p.hash),
    );
  }

  /**
   * Finds the person any of these identifiers belongs to, or creates them, and attaches the identifiers
   * not yet known. Concurrent resolutions of the same identifiers are serialised on advisory locks.
   */
  async resolveSubject(manager: EntityManager, inputs: readonly IdentityInput[]): Promise<string> {
    return this.resolvePreparedSubject(manager, this.identities.prepare(inputs));
  }

  /** resolveSubject for identities the caller has already prepared (normalised and hashed only once). */
  async resolvePreparedSubject(
    manager: EntityManager,
    prepared: readonly PreparedIdentity[],
  ): Promise<string> {
    if (prepared.length === 0) throw new Error('Cannot resolve a subject without a usable identifier');
    const keys = [...new Set(prepared.map((p) => lockKey(p.hash)))].sort();
    await this.subjects.lockIdentityKeys(manager, keys);
    const existing = await this.findSubjectId(manager, prepared);
    if (existing) {
      await this.attachIdentities(manager, existing, prepared);
      return existing;
    }
    const created = await this.subjects.createWithIdentities(manager, this.seal(prepared));
    await this.announceIdentities(manager, created.added);
    return created.id;
  }

  async attachIdentities(manager: EntityManager, subjectId: string, prepared: readonly PreparedIdentity[]) {
    if (prepared.length === 0) return;
    const added = await this.subjects.attachIdentities(manager, subjectId, this.seal(prepared));
    await this.announceIdentities(manager, added);
  }

  private seal(prepared: readonly PreparedIdentity[]): SealedIdentityRows {
    const sealed = prepared.map((p) => this.crypto.seal(p.normalised));
    return {
      kinds: prepared.map((p) => p.kind),
      hashes: prepared.map((p) => p.hash),
      ciphertexts: sealed.map((s) => s.ciphertext),
      keyIds: sealed.map((s) => s.keyId),
    };
  }

  /** Tells readers that may have cached "nobody is known by this" that someone now is. */
  private async announceIdentities(
    manager: EntityManager,
    added: readonly { kind: IdentityKind; value_hash: Buffer }[],
  ): Promise<void> {
    if (!added.length) return;
    await this.notifications.notifyEach(
      manager,
      IDENTITY_ADDED_CHANNEL,
      added.map((a) => IdentityService.cacheKey(a.kind, a.value_hash)),
    );
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
    const existing = await this.events.findBySource(manager, input.source, input.sourceEventId);
    if (existing) {
      return {
        eventId: existing.id,
        subjectId: existing.subjectId,
        effect: existing.effect,
        duplicate: true,
      };
    }

    // One writer per person at a time, so the conflict rules see a stable state.
    let subjectId: string;
    if (input.subjectId) {
      subjectId = input.subjectId;
      if (!(await this.subjects.lockWriter(manager, subjectId))) throw new SubjectNotFoundError(subjectId);
      if (input.identities?.length)
        await this.attachIdentities(manager, subjectId, this.identities.prepare(input.identities));
    } else {
      subjectId = await this.resolveSubject(manager, input.identities ?? []);
      await this.subjects.lockWriter(manager, subjectId);
    }

    const scope = input.scope && input.scope.trim() ? input.scope : ALL_SCOPES;
    const stateRows = await this.states.scopesOf(manager, subjectId, input.purpose, input.channel);
    const rows: StateRow[] = stateRows.map((r) => ({
      scope: r.scope,
      status: r.status,
      capturedAt: new Date(r.capturedAt),
    }));
    const decision = decide({ scope, status: input.status, capturedAt: input.capturedAt }, rows);

    const sealed =
      input.sealedEvidence && Object.keys(input.sealedEvidence).length
        ? this.crypto.seal(JSON.stringify(input.sealedEvidence))
        : null;
    const eventId = await this.events.insertIfNew(manager, {
      subjectId,
      purpose: input.purpose,
      channel: input.channel,
      scope,
      status: input.status,
      effect: decision.effect,
      source: input.source,
      sourceEventId: input.sourceEventId,
      method: input.method,
      actor: input.actor,
      capturedAt: input.capturedAt,
      receivedAt: input.receivedAt,
      legalBasis: input.legalBasis ?? null,
      noticeVersion: input.noticeVersion ?? null,
      policyUrl: input.policyUrl ?? null,
      language: input.language ?? null,
      payloadDigest: input.payloadDigest ?? null,
      inboxId: input.inboxId ?? null,
      evidence: input.evidence ?? {},
      sealedEvidence: sealed?.ciphertext ?? null,
      keyId: sealed?.keyId ?? null,
    });
    if (!eventId) {
      // A concurrent transaction recorded the same source event first.
      const again = (await this.events.findBySource(manager, input.source, input.sourceEventId))!;
      return { eventId: again.id, subjectId: again.subjectId, effect: again.effect, duplicate: true };
    }

    if (decision.writes.length) {
      await this.states.writeScopes(
        manager,
        {
          subjectId,
          purpose: input.purpose,
          channel: input.channel,
          status: input.status,
          capturedAt: input.capturedAt,
          source: input.source,
          eventId,
        },
        decision.writes,
      );
      await this.notifications.notify(manager, CONSENT_CHANGED_CHANNEL, subjectId);
    }
    if (decision.effect === 'changed') {
      // cross-module: the hooks (registered by propagation) write delivery rows and their jobs in this transaction.
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
