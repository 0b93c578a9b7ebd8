import { Global, Injectable, Module } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type IncomingSubjectRequest, SubjectRequestIntake } from '../ledger';
import { RequestService, type RequestTarget } from './request.service';
import { RequestsModule } from './requests.module';

/** The first identifier of the origin a request can be matched by. */
function targetOf(incoming: IncomingSubjectRequest): RequestTarget {
  if (incoming.subjectId) return { subjectId: incoming.subjectId };
  for (const identity of incoming.identities) {
    if (identity.kind === 'wa_id') return { waId: identity.value };
    if (identity.kind === 'phone') return { phone: identity.value };
    if (identity.kind === 'email') return { email: identity.value };
  }
  return {};
}

/**
 * Requests arriving through a channel that verifies the person (their own WhatsApp number, a deletion made in a
 * connected CRM): recorded in the channel's transaction, verified by origin, started at once. Idempotent by the
 * channel's dedupe key; a request matching nobody is recorded as such.
 */
@Injectable()
export class RequestIntake extends SubjectRequestIntake {
  constructor(private readonly service: RequestService) {
    super();
  }

  async receive(manager: EntityManager, incoming: IncomingSubjectRequest): Promise<{ requestId: string }> {
    const request = await this.service.create(manager, {
      type: incoming.type,
      origin: incoming.origin,
      source: incoming.origin,
      target: targetOf(incoming),
      receivedAt: incoming.receivedAt,
      verification: { method: `origin:${incoming.origin}`, note: null, verifiedBy: incoming.origin },
      createdBy: incoming.origin,
      dedupeKey: incoming.dedupeKey,
      originConnectionId: incoming.originConnectionId,
      originEvidence: incoming.originEvidence,
    });
    return { requestId: request.id };
  }
}

/**
 * Binds the ledger's SubjectRequestIntake port for the whole application, so the channels below the requests
 * module (whatsapp, connectors) get it by injection without importing it. Imported once, by the application module.
 */
@Global()
@Module({
  imports: [RequestsModule],
  providers: [RequestIntake, { provide: SubjectRequestIntake, useExisting: RequestIntake }],
  exports: [SubjectRequestIntake],
})
export class RequestIntakeModule {}
