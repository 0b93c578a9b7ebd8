import { Injectable } from '@nestjs/common';
import type { FieldProblem } from '../../platform/http/problem';
import type { ApiPrincipal } from '../../platform/http/auth.decorators';
import type { ConsentEventDto } from './dto/consent-event.dto';
import { ConsentRequestInvalidError } from './ledger.errors';
import { LedgerService, SubjectNotFoundError, type EvidenceValue } from './ledger.service';
import type { IdentityInput } from './ledger.types';

/** Clock skew tolerated on a caller's captured_at before it counts as "in the future". */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

export interface RecordedEvent {
  event_id: string;
  /** recorded (or a duplicate); suppressed: an erased person's identifier, nothing stored. */
  status: 'recorded' | 'suppressed';
  ledger_event_id: string | null;
  subject_id: string | null;
  effect: string;
  duplicate: boolean;
}

/** Consent changes reported through the REST API by automation platforms. */
@Injectable()
export class ConsentCommandService {
  constructor(private readonly ledger: LedgerService) {}

  /** Checks what class-validator cannot: one identifier at least, no repeated ids, no future times. */
  private validate(events: readonly ConsentEventDto[], fieldPrefix: (i: number) => string): void {
    const problems: FieldProblem[] = [];
    const seen = new Map<string, number>();
    const latest = Date.now() + FUTURE_TOLERANCE_MS;
    events.forEach((e, i) => {
      const at = fieldPrefix(i);
      if (!e.phone && !e.email && !e.subject_id) {
        problems.push({ field: `${at}phone`, message: 'one of phone, email or subject_id is required' });
      }
      if (seen.has(e.event_id)) {
        problems.push({
          field: `${at}event_id`,
          message: `repeats the event_id of item ${seen.get(e.event_id)}`,
        });
      }
      seen.set(e.event_id, i);
      if (Date.parse(e.captured_at) > latest) {
        problems.push({ field: `${at}captured_at`, message: 'must not be in the future' });
      }
      if (e.evidence) {
        const entries = Object.entries(e.evidence);
        if (entries.length > 50)
          problems.push({ field: `${at}evidence`, message: 'must have at most 50 keys' });
        for (const [k, v] of entries) {
          const ok = v === null || ['string', 'number', 'boolean'].includes(typeof v);
          if (!ok || (typeof v === 'string' && v.length > 2000) || k.length > 100) {
            problems.push({
              field: `${at}evidence.${k.slice(0, 100)}`,
              message: 'must be a string (≤2000), number, boolean or null',
            });
          }
        }
      }
    });
    if (problems.length) {
      throw new ConsentRequestInvalidError(
        `Invalid request: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
        problems,
      );
    }
  }

  /** Records every event in one transaction: either all of them are in the ledger or none is. */
  async record(
    events: readonly ConsentEventDto[],
    principal: ApiPrincipal,
    fieldPrefix: (i: number) => string,
  ): Promise<RecordedEvent[]> {
    this.validate(events, fieldPrefix);
    const receivedAt = new Date();
    try {
      return await this.ledger.transaction(async (manager) => {
        const out: RecordedEvent[] = [];
        for (const e of events) {
          const identities: IdentityInput[] = [];
          if (e.phone) identities.push({ kind: 'phone', value: e.phone });
          if (e.email) identities.push({ kind: 'email', value: e.email });
          const result = await this.ledger.recordConsent(manager, {
            source: 'api',
            // Idempotency is per caller: two platforms may well both number their events from 1.
            sourceEventId: `${principal.keyId}:${e.event_id}`,
            identities,
            subjectId: e.subject_id,
            purpose: e.purpose,
            channel: e.channel,
            scope: e.scope ?? null,
            status: e.status,
            method: e.method ?? 'api',
            actor: 'automation',
            capturedAt: new Date(e.captured_at),
            receivedAt,
            legalBasis: e.legal_basis ?? 'consent',
            noticeVersion: e.notice_version ?? null,
            policyUrl: e.policy_url ?? null,
            language: e.language ?? null,
            evidence: { api_key_id: principal.keyId, api_key_name: principal.name, event_id: e.event_id },
            sealedEvidence: e.evidence as Record<string, EvidenceValue> | undefined,
          });
          const suppressed = result.effect === 'suppressed';
          out.push({
            event_id: e.event_id,
            status: suppressed ? 'suppressed' : 'recorded',
            ledger_event_id: suppressed ? null : result.eventId,
            subject_id: suppressed ? null : result.subjectId,
            effect: result.effect,
            duplicate: result.duplicate,
          });
        }
        return out;
      });
    } catch (error) {
      if (error instanceof SubjectNotFoundError) {
        const index = events.findIndex((e) => e.subject_id === error.subjectId);
        throw new ConsentRequestInvalidError(`No subject ${error.subjectId}`, [
          { field: `${fieldPrefix(index)}subject_id`, message: 'names no known subject' },
        ]);
      }
      throw error;
    }
  }
}
