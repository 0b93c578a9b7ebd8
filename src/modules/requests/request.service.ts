import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../platform/clock/clock';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { LedgerReader, normalisePhone, type SubjectFound } from '../ledger';
import { originalDueAt, storedDueAt } from './deadlines';
import type { DataSubjectRequestEntity } from './entities/data-subject-request.entity';
import { RequestHistoryRepository } from './request-history.repository';
import { RequestIdentifiers, requestPlace, type SealedIdentifier } from './request-identifier';
import { randomUUID } from 'node:crypto';
import { RequestWorkflow } from './request-workflow';
import { RequestRepository } from './request.repository';
import { GATEWAY_ACTOR, type RequestOrigin, type RequestType, type StatusReason } from './requests.types';

/** Who a request names: exactly one of these. */
export interface RequestTarget {
  phone?: string;
  email?: string;
  /** A WhatsApp sender: their wa_id (digits). */
  waId?: string;
  subjectId?: string;
}

export interface NewRequest {
  type: RequestType;
  origin: RequestOrigin;
  source: string | null;
  target: RequestTarget;
  receivedAt: Date;
  /** Set when the identity is settled at intake: by origin, by policy, or by a caller with requests:verify. */
  verification: { method: string; note: string | null; verifiedBy: string } | null;
  changes?: { phone?: string; email?: string } | null;
  lift?: boolean;
  createdBy: string;
  dedupeKey?: string | null;
  originConnectionId?: string | null;
  originEvidence?: Record<string, string | number | boolean | null>;
  /** Non-personal facts for the first history entry (why a retention erasure was made). */
  createdDetail?: Record<string, unknown>;
}

/**
 * Creates requests, whichever way they arrive (API, console, WhatsApp, CRM deletions, retention), and starts them
 * once the identity is settled. A request that matches nobody is answered as such (completed, no_match), an
 * erasure of a person whose erasure is already open is absorbed by it (cancelled, duplicate), and the same intake
 * delivered twice (dedupe key) is one request.
 */
@Injectable()
export class RequestService {
  constructor(
    private readonly requests: RequestRepository,
    private readonly history: RequestHistoryRepository,
    private readonly identifiers: RequestIdentifiers,
    private readonly workflow: RequestWorkflow,
    private readonly reader: LedgerReader,
    private readonly crypto: CryptoService,
    private readonly clock: Clock,
  ) {}

  private now(): Date {
    return new Date(this.clock.now());
  }

  /** Records a request in the caller's transaction; answers it as stored (status as far as it got). */
  async create(manager: EntityManager, input: NewRequest): Promise<DataSubjectRequestEntity> {
    const dedupeKeyHash = input.dedupeKey ? this.crypto.blindIndex('request_dedupe', input.dedupeKey) : null;
    if (dedupeKeyHash) {
      const existing = await this.requests.byDedupeKey(manager, dedupeKeyHash);
      if (existing) return existing;
    }
    const person = await this.findPerson(manager, input.target);
    // Held until commit: an open erasure of the person is seen by every later request for them.
    if (person) await this.requests.lockPerson(manager, person.subjectId);
    const absorbing =
      person && input.type === 'erasure'
        ? await this.requests.openErasureOf(manager, person.subjectId)
        : null;
    const now = this.now();
    // The id is made here so that the sealed values can be bound to the request (associated data).
    const id = randomUUID();
    const identifier = this.sealTarget(input.target, requestPlace('identifier_ciphertext', id));
    const changes = input.changes && Object.keys(input.changes).length ? input.changes : null;
    const sealedChanges = changes
      ? this.identifiers.sealText(JSON.stringify(changes), requestPlace('changes_ciphertext', id))
      : null;
    const sealedNote = input.verification?.note
      ? this.identifiers.sealText(input.verification.note, requestPlace('verification_note_ciphertext', id))
      : null;
    const request = await this.requests.insert(manager, {
      id,
      type: input.type,
      // A second erasure of the person is absorbed by the open one (recorded as a duplicate of it).
      status: absorbing ? 'cancelled' : 'received',
      statusReason: absorbing ? 'duplicate' : null,
      duplicateOf: absorbing?.id ?? null,
      closedAt: absorbing ? now : null,
      origin: input.origin,
      source: input.source,
      dedupeKeyHash,
      subjectId: person?.subjectId ?? null,
      originConnectionId: input.originConnectionId ?? null,
      originEvidence: input.originEvidence ?? {},
      identifierKind: identifier.kind,
      identifierHash: identifier.hash,
      identifierCiphertext: identifier.ciphertext,
      identifierKeyId: identifier.keyId,
      receivedAt: input.receivedAt,
      originalDueAt: originalDueAt(input.receivedAt),
      dueAt: storedDueAt({ receivedAt: input.receivedAt, extensionMonths: 0, pauses: [] }),
      lift: input.lift ?? false,
      changesCiphertext: sealedChanges?.ciphertext ?? null,
      changesKeyId: sealedChanges?.keyId ?? null,
      changesFields: changes ? Object.keys(changes).sort() : [],
      verificationMethod: input.verification?.method ?? null,
      verificationNoteCiphertext: sealedNote?.ciphertext ?? null,
      verificationNoteKeyId: sealedNote?.keyId ?? null,
      verifiedBy: input.verification?.verifiedBy ?? null,
      verifiedAt: input.verification ? now : null,
      createdBy: input.createdBy,
    });
    await this.record(manager, request.id, 'created', input.createdBy, {
      origin: input.origin,
      source: input.source,
      identifier_kind: identifier.kind,
      ...(changes ? { fields: Object.keys(changes).sort() } : {}),
      ...(input.lift ? { lift: true } : {}),
      ...(input.createdDetail ?? {}),
    });

    if (absorbing) {
      await this.record(manager, request.id, 'absorbed', GATEWAY_ACTOR, { by_request_id: absorbing.id });
      await this.record(manager, absorbing.id, 'absorbed_duplicate', GATEWAY_ACTOR, {
        request_id: request.id,
        origin: request.origin,
      });
      return request;
    }
    if (!person) return this.answerWithoutPerson(manager, request, 'no_match');
    if (person.forgotten) return this.answerWithoutPerson(manager, request, 'already_erased');
    await this.workflow.announce(manager, 'request.created', request);
    if (input.verification) {
      await this.record(manager, request.id, 'verified', input.verification.verifiedBy, {
        method: input.verification.method,
      });
      await this.workflow.start(manager, request, input.verification.verifiedBy);
    } else {
      await this.workflow.setStatus(manager, request, 'identity_verification', 'need_user_verification');
      await this.record(manager, request.id, 'identity_verification', GATEWAY_ACTOR);
    }
    return request;
  }

  /** The person named: nobody, someone, someone erased (forgotten, or their erasure requested). */
  private async findPerson(
    manager: EntityManager,
    target: RequestTarget,
  ): Promise<{ subjectId: string; forgotten: boolean } | null> {
    const by: { phone?: string; email?: string; subjectId?: string } = {};
    if (target.subjectId) by.subjectId = target.subjectId;
    else if (target.email) by.email = target.email;
    else if (target.phone) by.phone = target.phone;
    else if (target.waId) {
      const phone = normalisePhone(`+${target.waId}`);
      if (!phone) return null;
      by.phone = phone;
    } else return null;
    const found: SubjectFound | null = await this.reader.findSubject(by, manager);
    if (!found) return null;
    return { subjectId: found.subjectId, forgotten: found.forgotten };
  }

  private sealTarget(target: RequestTarget, place: string): SealedIdentifier {
    if (target.phone) return this.identifiers.seal('phone', target.phone, place);
    if (target.email) return this.identifiers.seal('email', target.email, place);
    if (target.waId) return this.identifiers.seal('wa_id', target.waId, place);
    return { kind: 'subject_id', hash: null, ciphertext: null, keyId: null };
  }

  /** Nobody to act on: the request is answered as such, and the answer recorded (never an error). */
  private async answerWithoutPerson(
    manager: EntityManager,
    request: DataSubjectRequestEntity,
    reason: Extract<StatusReason, 'no_match' | 'already_erased'>,
  ): Promise<DataSubjectRequestEntity> {
    await this.record(manager, request.id, reason, GATEWAY_ACTOR);
    await this.workflow.announce(manager, 'request.created', request);
    const now = this.now();
    await this.workflow.setStatus(manager, request, 'completed', reason, { completedAt: now, closedAt: now });
    await this.record(manager, request.id, 'completed', GATEWAY_ACTOR, { status_reason: reason });
    await this.workflow.announce(manager, 'request.completed', request);
    return request;
  }

  /**
   * Retention: a person inactive past the configured period is erased as if they had asked (origin retention,
   * verified by policy). Once per person: a later run finds the request it made.
   */
  async createRetentionErasure(
    manager: EntityManager,
    subjectId: string,
    lastActivityAt: Date,
  ): Promise<{ requestId: string }> {
    const request = await this.create(manager, {
      type: 'erasure',
      origin: 'retention',
      source: 'retention_policy',
      target: { subjectId },
      receivedAt: this.now(),
      verification: { method: 'retention_policy', note: null, verifiedBy: GATEWAY_ACTOR },
      createdBy: GATEWAY_ACTOR,
      dedupeKey: `retention:${subjectId}`,
      createdDetail: { reason: 'inactive', last_activity_at: lastActivityAt.toISOString() },
    });
    return { requestId: request.id };
  }

  record(
    manager: EntityManager,
    requestId: string,
    action: string,
    actor: string,
    detail: Record<string, unknown> = {},
  ) {
    return this.history.append(manager, [{ requestId, action, actor, detail, at: this.now() }]);
  }
}
