import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { Notifications } from '../../platform/database/notifications';
import { decide } from './conflict-rules';
import { ConsentEventRepository, type NewConsentEvent } from './consent-event.repository';
import { ConsentStateRepository } from './consent-state.repository';
import { IdentityService, type PreparedIdentity } from './identity.service';
import { CONSENT_CHANGED_CHANNEL } from './ledger.channels';
import { LedgerService } from './ledger.service';
import { ALL_SCOPES } from './ledger.types';
import type { EvidenceValue, RecordConsentInput, RecordConsentResult } from './ledger-write.types';
import { evidencePlace } from './sealed-places';
import { SubjectIdentityWriter } from './subject-identity.writer';
import { SubjectKeyService } from './subject-keys.service';
import { SuppressionRepository } from './suppression.repository';

/** An input of the batch that can be written set-wise: a new person, known by identifiers nobody has. */
interface Fresh {
  index: number;
  input: RecordConsentInput;
  prepared: readonly PreparedIdentity[];
}

/**
 * Records a batch of consent events (a batch of inbox deliveries) in one transaction, with the same outcome as
 * LedgerService.recordConsent called for each in order, in a few statements instead of ten or more per event.
 *
 * The set-wise path takes the case a campaign's STOPs make: a person nobody knows yet, by identifiers that are
 * not suppressed, seen once in the batch. Their people, keys and identities, events, states, notifications and
 * propagation plans are written for the whole batch at once. Everything else (known people, merges, erased or
 * suppressed identifiers, a subject id, a person seen twice in the batch) goes through recordConsent one by
 * one, after the set-wise part and in the batch's order, so each person's events keep their order.
 */
@Injectable()
export class ConsentBatchRecorder {
  constructor(
    private readonly ledger: LedgerService,
    private readonly events: ConsentEventRepository,
    private readonly states: ConsentStateRepository,
    private readonly identities: IdentityService,
    private readonly writer: SubjectIdentityWriter,
    private readonly keys: SubjectKeyService,
    private readonly suppressions: SuppressionRepository,
    private readonly notifications: Notifications,
    private readonly metrics: MetricsService,
  ) {}

  async recordMany(
    manager: EntityManager,
    inputs: readonly RecordConsentInput[],
  ): Promise<RecordConsentResult[]> {
    const results = new Array<RecordConsentResult | undefined>(inputs.length);
    const fresh = inputs.length > 1 ? await this.freshPeople(manager, inputs, results) : [];
    if (fresh.length) await this.writeFresh(manager, fresh, results);
    // The rest, in order (a person's later events in the batch after their first).
    for (const [index, input] of inputs.entries())
      results[index] ??= await this.ledger.recordConsent(manager, input);
    return results as RecordConsentResult[];
  }

  /**
   * The inputs that name new people, under their identifiers' locks; duplicates of recorded events get their
   * result here.
   */
  private async freshPeople(
    manager: EntityManager,
    inputs: readonly RecordConsentInput[],
    results: (RecordConsentResult | undefined)[],
  ): Promise<Fresh[]> {
    const recorded = await this.events.findBySources(manager, inputs);
    const seenIdentities = new Set<string>();
    const seenEvents = new Set<string>();
    const candidates: Fresh[] = [];
    for (const [index, input] of inputs.entries()) {
      const sourceKey = ConsentEventRepository.sourceKey(input.source, input.sourceEventId);
      const existing = recorded.get(sourceKey);
      if (existing && !seenEvents.has(sourceKey)) {
        results[index] = {
          eventId: existing.id,
          subjectId: existing.subjectId,
          effect: existing.effect,
          duplicate: true,
        };
      }
      const prepared = this.identities.prepare(input.identities ?? []);
      const keys = prepared.map((p) => IdentityService.cacheKey(p.kind, p.hash));
      // Anything an earlier input of the batch touched waits for it (one by one, in order).
      const overlaps = keys.some((k) => seenIdentities.has(k)) || seenEvents.has(sourceKey);
      for (const k of keys) seenIdentities.add(k);
      seenEvents.add(sourceKey);
      if (existing || overlaps || input.subjectId || prepared.length === 0) continue;
      candidates.push({ index, input, prepared });
    }
    if (candidates.length === 0) return [];
    // Locked (sorted, in one statement) and read under the lock: owned identifiers mean a known person.
    const all = candidates.flatMap((c) => c.prepared);
    await this.writer.lockIdentities(manager, all);
    const owned = await this.ledger.ownersOf(manager, all);
    const suppressed = new Set(
      (
        await this.suppressions.activeAmong(
          all.map((p) => this.identities.suppressionKey(p.kind, p.normalised, p.hash)),
          manager,
        )
      ).map((s) => IdentityService.cacheKey(s.kind, s.value_hash)),
    );
    return candidates.filter((c) =>
      c.prepared.every((p) => {
        const key = IdentityService.cacheKey(p.kind, p.hash);
        return !owned.has(key) && !suppressed.has(key);
      }),
    );
  }

  /** New people, their events and states, in a handful of statements; then the hooks, once for all. */
  private async writeFresh(
    manager: EntityManager,
    fresh: readonly Fresh[],
    results: (RecordConsentResult | undefined)[],
  ): Promise<void> {
    const subjectIds = await this.writer.createPeople(
      manager,
      fresh.map((f) => f.prepared),
    );
    const written: (Fresh & { subjectId: string; event: NewConsentEvent; writes: string[] })[] = [];
    for (const [i, f] of fresh.entries()) {
      const subjectId = subjectIds[i];
      if (!subjectId) continue; // someone took an identifier meanwhile: recordConsent resolves it
      const { input } = f;
      const scope = input.scope && input.scope.trim() ? input.scope : ALL_SCOPES;
      // A new person has no state and no rights flags: the conflict rules still say what the event does.
      const decision = decide({ scope, status: input.status, capturedAt: input.capturedAt }, []);
      const sealed =
        input.sealedEvidence && Object.keys(input.sealedEvidence).length
          ? SubjectKeyService.sealFor(
              subjectId,
              await this.keys.keyFor(manager, subjectId),
              JSON.stringify(input.sealedEvidence),
              evidencePlace(input.source, input.sourceEventId),
            )
          : null;
      const evidence: Record<string, EvidenceValue> = { ...input.evidence };
      written.push({
        ...f,
        subjectId,
        writes: decision.writes,
        event: {
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
        },
      });
    }
    if (written.length === 0) return;
    const ids = await this.events.insertManyIfNew(
      manager,
      written.map((w) => w.event),
    );
    const eventIdOf = (w: (typeof written)[number]) => {
      const id = ids.get(ConsentEventRepository.sourceKey(w.input.source, w.input.sourceEventId));
      // The people were created in this transaction under their identifiers' locks, and the events were looked
      // up before: only a concurrent writer of the same source event without those identifiers gets here.
      if (!id)
        throw new Error('a consent event of the batch was recorded concurrently; the batch is retried');
      return id;
    };
    const rows = written.map((w) => ({ ...w, eventId: eventIdOf(w) }));
    await this.states.writeMany(
      manager,
      rows.flatMap((r) =>
        r.writes.map((scope) => ({
          subjectId: r.subjectId,
          purpose: r.event.purpose,
          channel: r.event.channel,
          scope,
          status: r.event.status,
          capturedAt: r.event.capturedAt,
          source: r.event.source,
          eventId: r.eventId,
        })),
      ),
    );
    const changedPeople = rows.filter((r) => r.writes.length).map((r) => r.subjectId);
    if (changedPeople.length)
      await this.notifications.notifyEach(manager, CONSENT_CHANGED_CHANNEL, changedPeople);
    await this.ledger.announceStateChanges(
      manager,
      rows
        .filter((r) => r.event.effect === 'changed')
        .map((r) => ({
          subjectId: r.subjectId,
          eventId: r.eventId,
          source: r.input.source,
          originConnectionId: r.input.originConnectionId ?? null,
        })),
    );
    for (const r of rows) {
      this.metrics.consentEvents.inc({
        source: r.input.source,
        status: r.input.status,
        effect: r.event.effect,
      });
      results[r.index] = {
        eventId: r.eventId,
        subjectId: r.subjectId,
        effect: r.event.effect,
        duplicate: false,
      };
    }
  }
}
