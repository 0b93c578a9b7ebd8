import { Injectable } from '@nestjs/common';
import { QueryFailedError, type EntityManager } from 'typeorm';
import { IdentityService } from '../ledger';
import { LedgerReader } from '../ledger';
import { LedgerService, type EvidenceValue } from '../ledger';
import type { ConsentStatus, IdentityInput } from '../ledger';
import { ConnectionService } from './connection.service';

export type CrmSource = 'hubspot' | 'salesforce';

/** One observation of a CRM record: what a backfill page, a change poll or a CRM webhook saw. */
export interface CrmContactObservation {
  connectionId: string;
  source: CrmSource;
  /** The record at the vendor (contact, Individual): linked to the person in connection_record. */
  remoteId: string;
  /**
   * The person the record is already linked to (null: not linked), when the caller looked it up for a whole
   * page at once; absent, the importer looks it up itself.
   */
  linkedSubjectId?: string | null;
  phone: string | null;
  email: string | null;
  /** How to know a record that carries neither phone nor email (a HubSpot webhook names only its id). */
  fallbackIdentity?: IdentityInput;
  /** The consent the record shows; null: nothing to record, the record is only linked. */
  consent: {
    status: ConsentStatus;
    capturedAt: string;
    scope: string | null;
    /** The gateway event id the record carries when the gateway wrote it (Salesforce CaptureSource). */
    ownWriteEventId: string | null;
    /** The vendor's raw value, compared with what the gateway last pushed to this record (HubSpot). */
    lastPushedValue?: { key: string; value: unknown };
  } | null;
  receivedAt: Date;
  sourceEventId: string;
  method: 'import' | 'crm_sync';
  evidence: Record<string, EvidenceValue>;
  inbox?: { id: string; digest: string };
}

/** What became of one observation. Every caller counts every outcome; none is dropped unseen. */
export type CrmImportOutcome =
  | { outcome: 'recorded' | 'stale'; status: ConsentStatus; subjectId: string; eventId: string }
  /** Already in the ledger (same source event): nothing written. */
  | { outcome: 'unchanged'; status: ConsentStatus; subjectId: string }
  /** The gateway's own write coming back: nothing written, so nothing loops. */
  | { outcome: 'own_write'; subjectId: string }
  /** Linked, but the record shows no consent to record. */
  | { outcome: 'linked'; subjectId: string }
  /** Neither phone, email nor another identifier: the record cannot be tied to a person. */
  | { outcome: 'no_identifier' }
  /** Identifiers or values the ledger cannot use (a malformed phone, an unreadable capture time). */
  | { outcome: 'invalid_value'; reason: string }
  /** The ledger refused the record for another reason (named by its error class, never its values). */
  | { outcome: 'failed'; reason: string };

export type CrmImportKind = CrmImportOutcome['outcome'];

/** Adds an outcome to a tally (per outcome name). */
export function tally(counts: Partial<Record<CrmImportKind, number>>, result: CrmImportOutcome): void {
  counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
}

/** Whether the ledger gained an event (a stale one included: it is history, though not the current state). */
export const wroteEvent = (r: CrmImportOutcome) => r.outcome === 'recorded' || r.outcome === 'stale';

/**
 * The one path from a CRM record to ledger facts, for the backfill, change polls and CRM webhooks alike: finds
 * the person (by the record's link, else its identifiers), links the record, recognises the gateway's own
 * writes, and records the consent it shows. Runs inside the caller's transaction; database errors are thrown
 * (that transaction is lost, the caller's unit retries), everything else becomes an outcome.
 */
@Injectable()
export class CrmContactImporter {
  constructor(
    private readonly ledger: LedgerService,
    private readonly identities: IdentityService,
    private readonly connections: ConnectionService,
    private readonly ledgerReader: LedgerReader,
  ) {}

  async import(manager: EntityManager, observation: CrmContactObservation): Promise<CrmImportOutcome> {
    try {
      return await this.importOne(manager, observation);
    } catch (error) {
      if (error instanceof QueryFailedError) throw error;
      return { outcome: 'failed', reason: (error as Error).name || 'Error' };
    }
  }

  private async importOne(manager: EntityManager, o: CrmContactObservation): Promise<CrmImportOutcome> {
    const capturedAt = o.consent ? new Date(o.consent.capturedAt) : null;
    if (capturedAt && Number.isNaN(capturedAt.getTime()))
      return { outcome: 'invalid_value', reason: 'capture time' };

    let subjectId =
      o.linkedSubjectId !== undefined
        ? o.linkedSubjectId
        : await this.connections.subjectForRemote(o.connectionId, o.remoteId, manager);
    const linked = subjectId !== null;
    if (!subjectId) {
      const resolved = await this.resolve(manager, o);
      if ('outcome' in resolved) return resolved;
      subjectId = resolved.subjectId;
      await this.connections.saveRemote(o.connectionId, subjectId, o.remoteId, null, manager);
    }
    if (!o.consent || !capturedAt) return { outcome: 'linked', subjectId };
    if (await this.isOwnWrite(manager, o, subjectId, linked)) return { outcome: 'own_write', subjectId };

    const result = await this.ledger.recordConsent(manager, {
      source: o.source,
      sourceEventId: o.sourceEventId,
      subjectId,
      purpose: 'marketing',
      channel: 'whatsapp',
      scope: o.consent.scope,
      status: o.consent.status,
      method: o.method,
      actor: 'crm',
      capturedAt,
      receivedAt: o.receivedAt,
      legalBasis: 'consent',
      evidence: o.evidence,
      originConnectionId: o.connectionId,
      ...(o.inbox ? { payloadDigest: o.inbox.digest, inboxId: o.inbox.id } : {}),
    });
    if (result.duplicate) return { outcome: 'unchanged', status: o.consent.status, subjectId };
    return {
      outcome: result.effect === 'stale' ? 'stale' : 'recorded',
      status: o.consent.status,
      subjectId,
      eventId: result.eventId,
    };
  }

  /** The person by the record's identifiers: a malformed phone is dropped when an email still names them. */
  private async resolve(
    manager: EntityManager,
    o: CrmContactObservation,
  ): Promise<{ subjectId: string } | CrmImportOutcome> {
    const given: IdentityInput[] = [];
    if (o.phone) given.push({ kind: 'phone', value: o.phone });
    if (o.email) given.push({ kind: 'email', value: o.email });
    // The ledger's normalisation decides what is usable (one rule for every source).
    const prepared = this.identities.prepare(given);
    if (prepared.length > 0)
      return { subjectId: await this.ledger.resolvePreparedSubject(manager, prepared) };
    if (o.fallbackIdentity)
      return { subjectId: await this.ledger.resolveSubject(manager, [o.fallbackIdentity]) };
    return given.length > 0
      ? { outcome: 'invalid_value', reason: 'no usable identifier' }
      : { outcome: 'no_identifier' };
  }

  /**
   * The gateway's own write coming back. A record carrying the gateway's event id is an echo only while it
   * still shows that event's status (a CRM user may change the status and leave the id); a record whose value
   * equals what the gateway last pushed to it is one too.
   */
  private async isOwnWrite(
    manager: EntityManager,
    o: CrmContactObservation,
    subjectId: string,
    linked: boolean,
  ): Promise<boolean> {
    const consent = o.consent!;
    if (consent.ownWriteEventId) {
      const status = await this.ledgerReader.eventStatus(consent.ownWriteEventId, manager);
      if (status === consent.status) return true;
    }
    if (consent.lastPushedValue && linked) {
      const pushed = await this.connections.lastPushed(o.connectionId, subjectId, manager);
      if (pushed && pushed[consent.lastPushedValue.key] === consent.lastPushedValue.value) return true;
    }
    return false;
  }
}
