import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ConsentEventRepository } from './consent-event.repository';
import { buildConsentReceipt } from './consent-receipt';
import type { ConsentEventEntity } from './entities/consent-event.entity';
import { PersonNotFoundError } from './ledger.errors';
import { SubjectMergeRepository } from './subject-merge.repository';
import { SubjectRepository } from './subject.repository';
import { maskEmail, maskPhone } from './identifier-mask';
import { evidencePlace, identityPlace } from './sealed-places';
import { SubjectKeyService, type Opener } from './subject-keys.service';
import { ControllerSettingsService } from '../settings';

/**
 * A person's timeline: their identities (kinds only), every consent event with its evidence and receipt,
 * the events of everyone merged into them (each under its own subject id) and the merges themselves. An id
 * merged into another person answers with that person's timeline and says so (redirected_from).
 */
@Injectable()
export class SubjectTimelineService {
  constructor(
    private readonly subjects: SubjectRepository,
    private readonly merges: SubjectMergeRepository,
    private readonly events: ConsentEventRepository,
    private readonly keys: SubjectKeyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly controllerSettings: ControllerSettingsService,
  ) {}

  async timeline(id: string) {
    const subjectId = id.toLowerCase();
    const personId = (await this.merges.survivorsOf([subjectId])).get(subjectId);
    const subject = personId ? await this.subjects.findById(personId) : null;
    if (!personId || !subject) throw new PersonNotFoundError(`No subject ${subjectId}`);
    const absorbed = await this.merges.mergedInto(personId);
    const [identities, events, merges] = await Promise.all([
      this.subjects.identitiesOf(personId),
      this.events.timelineOf([personId, ...absorbed]),
      this.merges.mergesOf(absorbed),
    ]);
    const opener = await this.keys.opener([...events.map((e) => e.keyId), ...identities.map((i) => i.keyId)]);
    // Receipts name the controller as saved in the console (the configuration until then).
    const config = { ...this.config, ...(await this.controllerSettings.forReceipts()) };
    return {
      subject_id: personId,
      redirected_from: personId === subjectId ? null : subjectId,
      created_at: new Date(subject.createdAt).toISOString(),
      erased_at: subject.erasedAt ? new Date(subject.erasedAt).toISOString() : null,
      identities: identities.map((i) => ({
        kind: i.kind,
        masked: this.masked(i, opener),
        added_at: new Date(i.createdAt).toISOString(),
      })),
      events: events.map((e, index) => ({ ...this.event(e, opener, config), sequence: index + 1 })),
      merges: merges.map((m) => ({
        id: m.id,
        merged_subject_id: m.mergedId,
        into_subject_id: m.survivorId,
        reason: m.reason,
        evidence: m.evidence,
        merged_at: new Date(m.createdAt).toISOString(),
      })),
    };
  }

  /** A contact identifier masked for display (the person page shows who it is without showing the number). */
  private masked(
    i: { kind: string; valueHash: Buffer; valueCiphertext: Buffer | null; keyId: string | null },
    opener: Opener,
  ): string | null {
    if (!['phone', 'wa_id', 'email'].includes(i.kind) || !i.valueCiphertext || !i.keyId) return null;
    const value = opener.open(
      { ciphertext: i.valueCiphertext, keyId: i.keyId },
      identityPlace(i.kind, i.valueHash),
    );
    if (value === null) return null;
    return i.kind === 'email' ? maskEmail(value) : maskPhone(i.kind === 'wa_id' ? `+${value}` : value);
  }

  /** The sealed evidence opened; null when there is none or its person's key is gone. */
  private personal(e: ConsentEventEntity, opener: Opener): unknown {
    if (!e.sealedEvidence || !e.keyId) return null;
    const text = opener.open(
      { ciphertext: e.sealedEvidence, keyId: e.keyId },
      evidencePlace(e.source, e.sourceEventId),
    );
    return text === null ? null : (JSON.parse(text) as unknown);
  }

  private event(e: ConsentEventEntity, opener: Opener, config: AppConfig) {
    return {
      id: e.id,
      subject_id: e.subjectId,
      purpose: e.purpose,
      channel: e.channel,
      scope: e.scope,
      status: e.status,
      effect: e.effect,
      source: e.source,
      source_event_id: e.sourceEventId,
      evidence: {
        method: e.method,
        actor: e.actor,
        captured_at: new Date(e.capturedAt).toISOString(),
        received_at: new Date(e.receivedAt).toISOString(),
        recorded_at: new Date(e.recordedAt).toISOString(),
        legal_basis: e.legalBasis,
        notice_version: e.noticeVersion,
        policy_url: e.policyUrl,
        language: e.language,
        payload_digest: e.payloadDigest,
        inbox_id: e.inboxId,
        details: e.evidence,
        personal: this.personal(e, opener),
      },
      receipt: buildConsentReceipt(
        {
          id: e.id,
          subject_id: e.subjectId,
          purpose: e.purpose,
          channel: e.channel,
          scope: e.scope,
          status: e.status,
          method: e.method,
          source: e.source,
          actor: e.actor,
          captured_at: new Date(e.capturedAt),
          legal_basis: e.legalBasis,
          notice_version: e.noticeVersion,
          policy_url: e.policyUrl,
          language: e.language,
        },
        config,
      ),
    };
  }
}
