import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { blockedBy, decide, type StateRow } from './conflict-rules';
import { ConsentEventRepository } from './consent-event.repository';
import { configuredPurposes } from './consent-purposes';
import { CHANNELS } from './dto/consent-event.dto';
import { ConsentStateRepository } from './consent-state.repository';
import { IdentityService, type PreparedIdentity } from './identity.service';
import { ALL_SCOPES, type ConsentSource, type IdentityInput } from './ledger.types';
import type {
  EvidenceValue,
  MergeEvidence,
  RecordConsentInput,
  RecordConsentResult,
  StateChange,
  StateChangedHook,
  SubjectsMergedHook,
} from './ledger-write.types';
import { Notifications } from '../../platform/database/notifications';
import { SubjectRepository } from './subject.repository';
import { SubjectMergeService } from './subject-merge.service';
import { evidencePlace } from './sealed-places';
import { SubjectKeyService } from './subject-keys.service';
import { SubjectIdentityWriter } from './subject-identity.writer';
import { SuppressionRepository } from './suppression.repository';
import { SubjectRightsRepository } from './subject-rights.repository';
import { CONSENT_CHANGED_CHANNEL } from './ledger.channels';

export { CONSENT_CHANGED_CHANNEL, IDENTITY_ADDED_CHANNEL } from './ledger.channels';

export type {
  EvidenceValue,
  MergeEvidence,
  RecordConsentInput,
  RecordConsentResult,
  StateChange,
  StateChangedHook,
  SubjectsMergedHook,
} from './ledger-write.types';

const SUPPRESSED: RecordConsentResult = Object.freeze({
  eventId: '',
  subjectId: '',
  effect: 'suppressed',
  duplicate: false,
});

export class SubjectNotFoundError extends Error {
  constructor(readonly subjectId: string) {
    super(`No subject ${subjectId}`);
  }
}

/** Hops followed from an absorbed person to the one they became (merges keep it to one). */
const MAX_MERGE_HOPS = 4;

/**
 * The consent ledger: subjects and their identities, append-only events with evidence, and the state
 * projection, all written in the caller's transaction.
 */
@Injectable()
export class LedgerService {
  private readonly logger = new Logger(LedgerService.name);
  private readonly stateChangedHooks: StateChangedHook[] = [];
  private readonly subjectsMergedHooks: SubjectsMergedHook[] = [];

  constructor(
    private readonly subjects: SubjectRepository,
    private readonly events: ConsentEventRepository,
    private readonly states: ConsentStateRepository,
    private readonly notifications: Notifications,
    private readonly identities: IdentityService,
    private readonly metrics: MetricsService,
    private readonly merger: SubjectMergeService,
    private readonly keys: SubjectKeyService,
    private readonly writer: SubjectIdentityWriter,
    private readonly suppressions: SuppressionRepository,
    private readonly rights: SubjectRightsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private purposes: string[] | null = null;

  /** Registers work that must commit with every change of state (deliveries and their jobs). */
  onStateChanged(hook: StateChangedHook): void {
    this.stateChangedHooks.push(hook);
  }

  /** Runs the state-changed hooks for changes written in this transaction (ConsentBatchRecorder's batches too). */
  async announceStateChanges(manager: EntityManager, changes: readonly StateChange[]): Promise<void> {
    if (changes.length === 0) return;
    for (const hook of this.stateChangedHooks) await hook(manager, changes);
  }

  /** Registers work that must commit with every merge of people (repointing rows held per person). */
  onSubjectsMerged(hook: SubjectsMergedHook): void {
    this.subjectsMergedHooks.push(hook);
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
   * Who already owns each of these identifiers, by IdentityService.cacheKey (a read without locks: a hint that
   * lets a caller skip resolving identifiers that are all known; resolvePreparedSubject decides under lock).
   */
  async ownersOf(
    manager: EntityManager,
    prepared: readonly PreparedIdentity[],
  ): Promise<Map<string, string>> {
    const rows = await this.subjects.ownersOf(
      manager,
      prepared.map((p) => p.kind),
      prepared.map((p) => p.hash),
    );
    return new Map(rows.map((r) => [IdentityService.cacheKey(r.kind, r.value_hash), r.subject_id]));
  }

  /**
   * Finds the person any of these identifiers belongs to, or creates them, and attaches the identifiers
   * not yet known. Concurrent resolutions of the same identifiers are serialised on advisory locks.
   */
  async resolveSubject(manager: EntityManager, inputs: readonly IdentityInput[]): Promise<string> {
    return this.resolvePreparedSubject(manager, this.identities.prepare(inputs));
  }

  /**
   * resolveSubject for identities the caller has already prepared (normalised and hashed only once).
   * With merge evidence (a CRM record shows these identifiers belong together), people found by different
   * identifiers become one: the oldest absorbs the others (see mergeOwners). Without it, an identifier that
   * belongs to someone else stays with them.
   */
  async resolvePreparedSubject(
    manager: EntityManager,
    prepared: readonly PreparedIdentity[],
    merge?: MergeEvidence,
  ): Promise<string> {
    await this.writer.lockIdentities(manager, prepared);
    if (merge) {
      const survivorId = await this.mergeOwners(manager, prepared, merge);
      if (survivorId) {
        await this.attachIdentities(manager, survivorId, prepared);
        return survivorId;
      }
    }
    return (
      (await this.writer.findOrAttach(manager, prepared)) ??
      (await this.writer.createPerson(manager, prepared))
    );
  }

  /**
   * The person an event's identifiers name, created when nobody is known by them. Identifiers that are
   * suppressed (an erased person's) create nobody, unless the person themselves acts on WhatsApp again: that
   * starts a new relationship (a new person; the suppression is lifted, kept as history).
   */
  private async resolveForEvent(
    manager: EntityManager,
    input: Pick<RecordConsentInput, 'identities' | 'source' | 'actor'>,
  ): Promise<{ subjectId: string; newRelationship: boolean } | 'suppressed'> {
    const prepared = this.identities.prepare(input.identities ?? []);
    await this.writer.lockIdentities(manager, prepared);
    const existing = await this.writer.findOrAttach(manager, prepared);
    if (existing) return { subjectId: existing, newRelationship: false };
    const suppressed = await this.suppressions.activeAmong(
      prepared.map((p) => this.identities.suppressionKey(p.kind, p.normalised, p.hash)),
      manager,
    );
    if (suppressed.length) {
      if (input.source !== 'whatsapp' || input.actor !== 'subject') return 'suppressed';
      await this.suppressions.lift(
        manager,
        suppressed.map((x) => x.id),
      );
    }
    return {
      subjectId: await this.writer.createPerson(manager, prepared),
      newRelationship: suppressed.length > 0,
    };
  }

  /**
   * One new person per group of identifiers, for a page of CRM records, in a few statements instead of several per
   * record: the identifiers are locked (sorted) and checked under the lock; a group with an identifier someone owns,
   * or shares with an earlier group, gets null (the caller resolves it one by one).
   */
  createPeople(
    manager: EntityManager,
    groups: readonly (readonly PreparedIdentity[])[],
  ): Promise<(string | null)[]> {
    return this.writer.createPeople(manager, groups);
  }

  /**
   * Merges every person (not erased) who owns one of these identifiers into the oldest, under their writer
   * locks: identifiers move, the absorbed are marked merged_into and a subject_merge row records each, and
   * their states are folded into the survivor's by the conflict rules. The merge hooks run, then the
   * state-changed hooks for each state in force the merge changed. Null when fewer than two people own them.
   */
  private async mergeOwners(
    manager: EntityManager,
    prepared: readonly PreparedIdentity[],
    merge: MergeEvidence,
  ): Promise<string | null> {
    const owners = await this.merger.lockOwners(manager, prepared);
    if (owners.length < 2) return null;
    const [survivorId, ...mergedIds] = owners.map((o) => o.id);
    const changed = await this.merger.merge(manager, survivorId, mergedIds, merge.reason, {
      ...merge.evidence,
      source: merge.source,
    });
    // cross-module: connectors and propagation repoint their rows per person before deliveries are planned.
    for (const hook of this.subjectsMergedHooks) await hook(manager, { survivorId, mergedIds });
    await this.announceStateChanges(
      manager,
      changed.map((change) => ({
        subjectId: survivorId,
        eventId: change.eventId,
        source: change.source as ConsentSource,
        // The change comes from another person's history: every connection may be behind on it.
        originConnectionId: null,
      })),
    );
    return survivorId;
  }

  /** Attaches identifiers to the person, sealed under their key (one already known stays with its owner). */
  attachIdentities(
    manager: EntityManager,
    subjectId: string,
    prepared: readonly PreparedIdentity[],
  ): Promise<void> {
    return this.writer.attach(manager, subjectId, prepared);
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
    let newRelationship = false;
    if (input.subjectId) {
      subjectId = input.subjectId;
      if (!(await this.subjects.lockWriter(manager, subjectId))) throw new SubjectNotFoundError(subjectId);
    } else {
      const resolved = await this.resolveForEvent(manager, input);
      if (resolved === 'suppressed') return this.suppressed(input);
      ({ subjectId, newRelationship } = resolved);
      await this.subjects.lockWriter(manager, subjectId);
    }

    // A person merged into another (before, or while this waited for the lock) is written as that person.
    let {
      mergedInto,
      flags,
      rows: stateRows,
    } = await this.states.scopesOf(manager, subjectId, input.purpose, input.channel);
    for (let hops = 0; mergedInto; hops++) {
      if (hops >= MAX_MERGE_HOPS) throw new Error(`Subject ${subjectId} is merged too many times over`);
      subjectId = mergedInto;
      await this.subjects.lockWriter(manager, subjectId);
      ({
        mergedInto,
        flags,
        rows: stateRows,
      } = await this.states.scopesOf(manager, subjectId, input.purpose, input.channel));
    }
    // Nothing more is recorded about a forgotten person (their skeleton stays as it was).
    if (flags.erased) return this.suppressed(input);
    if (input.subjectId && input.identities?.length)
      await this.attachIdentities(manager, subjectId, this.identities.prepare(input.identities));

    const scope = input.scope && input.scope.trim() ? input.scope : ALL_SCOPES;
    const rows: StateRow[] = stateRows.map((r) => ({
      scope: r.scope,
      status: r.status,
      capturedAt: new Date(r.capturedAt),
    }));
    const blocked = blockedBy(flags, input);
    const decision = blocked
      ? { effect: 'stale' as const, writes: [] }
      : decide({ scope, status: input.status, capturedAt: input.capturedAt }, rows);
    const evidence: Record<string, EvidenceValue> = { ...input.evidence };
    if (blocked) evidence.blocked_by = blocked;
    if (newRelationship) evidence.new_relationship_after_erasure = true;

    const sealed =
      input.sealedEvidence && Object.keys(input.sealedEvidence).length
        ? SubjectKeyService.sealFor(
            subjectId,
            await this.keys.keyFor(manager, subjectId),
            JSON.stringify(input.sealedEvidence),
            evidencePlace(input.source, input.sourceEventId),
          )
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
      evidence,
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
      await this.announceStateChanges(manager, [
        { subjectId, eventId, source: input.source, originConnectionId: input.originConnectionId ?? null },
      ]);
    }
    this.metrics.consentEvents.inc({ source: input.source, status: input.status, effect: decision.effect });
    return { eventId, subjectId, effect: decision.effect, duplicate: false };
  }

  /**
   * Art. 21(3): the person objects to direct marketing. Every configured purpose is withdrawn on every channel
   * for every scope (source request, method objection, actor subject; state-changed hooks run as for any
   * withdrawal, so it is propagated like a STOP), then objected_at is set: from then on grants a CRM, an
   * automation or an admin reports are stale, and only the person's own new opt-in counts. Idempotent per request.
   */
  async recordObjection(
    manager: EntityManager,
    subjectId: string,
    input: { requestId: string; capturedAt: Date; receivedAt: Date },
  ): Promise<{ eventIds: string[] }> {
    this.purposes ??= configuredPurposes(this.config.consentConfigPath);
    const eventIds: string[] = [];
    let personId = subjectId;
    for (const purpose of this.purposes)
      for (const channel of CHANNELS) {
        const result = await this.recordConsent(manager, {
          source: 'request',
          sourceEventId: `objection:${input.requestId}:${purpose}:${channel}`,
          subjectId,
          purpose,
          channel,
          scope: null,
          status: 'withdrawn',
          method: 'objection',
          actor: 'subject',
          capturedAt: input.capturedAt,
          receivedAt: input.receivedAt,
          legalBasis: 'objection',
          evidence: { request_id: input.requestId },
        });
        if (result.effect === 'suppressed') return { eventIds };
        eventIds.push(result.eventId);
        personId = result.subjectId;
      }
    await this.rights.markObjected(manager, personId);
    await this.notifications.notify(manager, CONSENT_CHANGED_CHANNEL, personId);
    return { eventIds };
  }

  private suppressed(input: RecordConsentInput): RecordConsentResult {
    this.metrics.consentEvents.inc({ source: input.source, status: input.status, effect: 'suppressed' });
    return SUPPRESSED;
  }
}
