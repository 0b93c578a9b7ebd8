import type { EntityManager } from 'typeorm';
import type { IdentityInput } from './ledger.types';

/** Where a request that did not come through the API or the console came from. */
export type SubjectRequestOrigin = 'whatsapp' | 'hubspot_privacy_deletion' | 'salesforce_should_forget';

export type SubjectRequestType = 'access' | 'erasure' | 'rectification' | 'restriction' | 'objection';

/**
 * A data-subject request made through a channel whose origin verifies the person: their own WhatsApp number,
 * or a deletion someone made in a connected CRM (erase them everywhere else).
 */
export interface IncomingSubjectRequest {
  type: SubjectRequestType;
  origin: SubjectRequestOrigin;
  /** Makes the intake idempotent (an inbox replay, a poll overlap): e.g. `whatsapp:<inbox id>:<message index>`. */
  dedupeKey: string;
  /** The person, when the origin identified them (a linked CRM record); null: match by `identities`. */
  subjectId: string | null;
  /** Identifiers as the origin gave them (the WhatsApp sender's wa_id), for matching. */
  identities: IdentityInput[];
  receivedAt: Date;
  /** The connection the request came from (a CRM deletion: that record is already gone there). */
  originConnectionId: string | null;
  /** Non-personal facts of the origin (inbox id, record type, keyword language): never an identifier. */
  originEvidence: Record<string, string | number | boolean | null>;
}

/**
 * Declared here, where the channels that receive such requests (whatsapp, connectors) can reach it, and provided
 * by the requests module (a higher module) through DI. Runs in the caller's transaction, so the request commits
 * with the inbox row or poll cursor that carried it.
 * @public (provided by the requests module, built in parallel)
 */
export abstract class SubjectRequestIntake {
  abstract receive(manager: EntityManager, request: IncomingSubjectRequest): Promise<{ requestId: string }>;
}
