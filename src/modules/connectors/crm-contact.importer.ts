import { Injectable } from '@nestjs/common';
import { QueryFailedError, type EntityManager } from 'typeorm';
import { IdentityService, LedgerReader, LedgerService, SubjectErasureService } from '../ledger';
import type { ConsentStatus, EvidenceValue, IdentityInput, PreparedIdentity } from '../ledger';
import type { RemoteContact } from './connector.port';
import { clampCapture, recordProblems } from './crm-record-values';
import {
  type CameBackRecord,
  RecordLinks,
  type KnownRecord,
  type RecordLinkInput,
} from './record-links.service';

export type CrmSource = 'hubspot' | 'salesforce';

/** The connection a page of CRM records comes from. */
export interface CrmConnectionRef {
  id: string;
  source: CrmSource;
  /** Region of national numbers when a record has no country of its own (ConnectionContext.phoneRegion). */
  phoneRegion: string | null;
}

/** One observation of a CRM record: what a backfill page, a change poll or a CRM webhook saw. */
export interface CrmContactObservation {
  record: RemoteContact;
  /** When the gateway read the record: the latest a consent it shows can have been captured. */
  receivedAt: Date;
  sourceEventId: string;
  method: 'import' | 'crm_sync';
  evidence: Record<string, EvidenceValue>;
  inbox?: { id: string; digest: string };
  /** How to know a record that carries neither phone nor email (a HubSpot webhook names only its id). */
  fallbackIdentity?: IdentityInput;
  /** The vendor's raw value, compared with what the gateway last pushed to this record (HubSpot webhooks). */
  lastPushedValue?: { key: string; value: unknown };
  /**
   * The observation names only some of the record's fields (a webhook names the changed value): what is known
   * to be wrong with the record's other values stays listed.
   */
  partial?: boolean;
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
  /**
   * A record of an erased person (its identifiers are suppressed): nobody is created, it is linked to the erased
   * person's skeleton and announced, so the erasure is sent to it again.
   */
  | { outcome: 'came_back'; erasedSubjectId: string }
  /** The ledger recorded nothing: the record's person is erased or their erasure is under way. */
  | { outcome: 'suppressed' }
  /** Neither phone, email nor another identifier: the record cannot be tied to a person. */
  | { outcome: 'no_identifier' }
  /** Identifiers the ledger cannot use (only malformed phones or emails): listed as unmatched. */
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

interface Prepared {
  o: CrmContactObservation;
  identities: PreparedIdentity[];
  problems: { field: string; reason: string }[];
  known: KnownRecord | undefined;
  /** The person created for this record with the page's other new people (nobody knew its identifiers). */
  created?: string;
  /** The erased person this record stands for (it came back after their erasure): nobody is created for it. */
  erasedSubjectId?: string;
}

/**
 * The one path from CRM records to ledger facts, for the backfill, change polls and CRM webhooks alike, a page at a
 * time: normalises every phone and email (the record's own region first), finds the person (the record's link,
 * else its identifiers; a record that joins two known people merges them), links every record, lists what could not
 * be matched, recognises the gateway's own writes, records the consent the record shows (never later than the
 * gateway saw it), and tells propagation which records do not show the person's current state. Runs inside the
 * caller's transaction; database errors are thrown (the caller's unit retries), everything else is an outcome.
 */
@Injectable()
export class CrmContactImporter {
  constructor(
    private readonly ledger: LedgerService,
    private readonly identities: IdentityService,
    private readonly links: RecordLinks,
    private readonly ledgerReader: LedgerReader,
    private readonly erasure: SubjectErasureService,
  ) {}

  async importPage(
    manager: EntityManager,
    connection: CrmConnectionRef,
    observations: readonly CrmContactObservation[],
  ): Promise<CrmImportOutcome[]> {
    if (observations.length === 0) return [];
    const remoteIds = observations.map((o) => o.record.remoteId);
    const known = await this.links.known(connection.id, remoteIds, manager);
    const page: Prepared[] = observations.map((o) => ({
      o,
      ...this.prepare(o.record, connection.phoneRegion),
      known: known.get(o.record.remoteId),
    }));
    const owners = await this.ledger.ownersOf(
      manager,
      page.flatMap((p) => p.identities),
    );
    await this.stayErased(manager, page, owners);

    await this.createNewPeople(manager, page, owners);

    const outcomes: CrmImportOutcome[] = [];
    const newLinks: RecordLinkInput[] = [];
    const cameBack: CameBackRecord[] = [];
    for (const p of page) {
      const result = await this.importOne(manager, connection, p, owners, newLinks);
      if (result.outcome === 'came_back')
        cameBack.push({
          erasedSubjectId: result.erasedSubjectId,
          remoteId: p.o.record.remoteId,
          recordType: p.o.record.recordType,
        });
      outcomes.push(result);
    }
    await this.links.link(manager, connection.id, newLinks);
    await this.links.recordsCameBack(manager, connection.id, cameBack);
    const complete = page.flatMap((p, i) => (p.o.partial ? [] : [{ p, outcome: outcomes[i] }]));
    await this.links.recordProblems(
      manager,
      connection.id,
      complete.map(({ p }) => p.o.record.remoteId),
      complete.map(({ p, outcome }) => ({
        remoteId: p.o.record.remoteId,
        recordType: p.o.record.recordType,
        problems: outcome.outcome === 'no_identifier' ? [...p.problems, NO_IDENTIFIER] : p.problems,
      })),
    );
    await this.flagRecordsBehind(manager, connection.id, page, outcomes);
    return outcomes;
  }

  /**
   * Stay erased. A record showing identifiers of an erased person (suppressed blind indexes) comes back as theirs,
   * unless one of its other identifiers, or its link, belongs to a living person: then it is that person's record,
   * and the suppressed identifiers are left off it (an erased person's number is never attached to anyone by a CRM;
   * only the person's own new WhatsApp action starts a new relationship, in the ledger).
   */
  private async stayErased(
    manager: EntityManager,
    page: Prepared[],
    owners: ReadonlyMap<string, string>,
  ): Promise<void> {
    const suppressed = await this.erasure.suppressedAmong(
      manager,
      page.flatMap((p) => p.identities),
    );
    if (suppressed.size === 0) return;
    const erasedPeople = new Set(suppressed.values());
    for (const p of page) {
      const keyOf = (i: PreparedIdentity) => IdentityService.cacheKey(i.kind, i.hash);
      const erasedOwner = p.identities.map((i) => suppressed.get(keyOf(i))).find((id) => id !== undefined);
      if (erasedOwner === undefined) continue;
      const living =
        p.identities.some((i) => owners.has(keyOf(i))) ||
        (p.known !== undefined && !erasedPeople.has(p.known.subjectId));
      if (living) p.identities = p.identities.filter((i) => !suppressed.has(keyOf(i)));
      else p.erasedSubjectId = erasedOwner;
    }
  }

  /**
   * Records nobody knew (a first backfill is mostly these) get their people in one go; the ledger re-checks under
   * its locks and leaves to the per-record path any record whose identifiers turn out to be taken.
   */
  private async createNewPeople(
    manager: EntityManager,
    page: Prepared[],
    owners: ReadonlyMap<string, string>,
  ): Promise<void> {
    const fresh = page.filter(
      (p) =>
        !p.known &&
        !p.erasedSubjectId &&
        p.identities.length > 0 &&
        p.identities.every((i) => !owners.has(IdentityService.cacheKey(i.kind, i.hash))),
    );
    if (fresh.length === 0) return;
    const created = await this.ledger.createPeople(
      manager,
      fresh.map((p) => p.identities),
    );
    fresh.forEach((p, i) => (p.created = created[i] ?? undefined));
  }

  /** Every usable identifier of the record, and a problem for every value that is not one. */
  private prepare(record: RemoteContact, fallbackRegion: string | null) {
    const region = record.region ?? fallbackRegion;
    const identities: PreparedIdentity[] = [];
    const problems = recordProblems(record);
    for (const phone of record.phones) {
      const prepared = this.identities.prepare([{ kind: 'phone', value: phone.value, region }]);
      if (prepared.length === 0) problems.push({ field: phone.field, reason: 'invalid_phone' });
      identities.push(...prepared);
    }
    if (record.email) {
      const prepared = this.identities.prepare([{ kind: 'email', value: record.email }]);
      if (prepared.length === 0) problems.push({ field: 'email', reason: 'invalid_email' });
      identities.push(...prepared);
    }
    return { identities: dedupe(identities), problems };
  }

  private async importOne(
    manager: EntityManager,
    connection: CrmConnectionRef,
    p: Prepared,
    owners: ReadonlyMap<string, string>,
    newLinks: RecordLinkInput[],
  ): Promise<CrmImportOutcome> {
    try {
      if (p.erasedSubjectId) {
        // Linked to the erased skeleton so the erasure can reach it; RecordLinks.unlink once it has.
        if (p.known?.subjectId !== p.erasedSubjectId)
          newLinks.push({
            subjectId: p.erasedSubjectId,
            remoteId: p.o.record.remoteId,
            recordType: p.o.record.recordType,
            pushed: null,
          });
        return { outcome: 'came_back', erasedSubjectId: p.erasedSubjectId };
      }
      const subject = await this.subjectOf(manager, connection, p, owners);
      if ('outcome' in subject) return subject;
      const { subjectId } = subject;
      if (p.known?.subjectId !== subjectId)
        newLinks.push({
          subjectId,
          remoteId: p.o.record.remoteId,
          recordType: p.o.record.recordType,
          pushed: null,
        });
      return await this.recordConsent(manager, connection, p, subjectId);
    } catch (error) {
      if (error instanceof QueryFailedError) throw error;
      return { outcome: 'failed', reason: (error as Error).name || 'Error' };
    }
  }

  /**
   * The person the record stands for. When its identifiers all belong to the person it is linked to (the common
   * case on a second look), nothing is written; otherwise the ledger resolves them under its locks, attaching new
   * identifiers and merging people the record shows to be one.
   */
  private async subjectOf(
    manager: EntityManager,
    connection: CrmConnectionRef,
    p: Prepared,
    owners: ReadonlyMap<string, string>,
  ): Promise<{ subjectId: string } | CrmImportOutcome> {
    if (p.created) return { subjectId: p.created };
    const ownerIds = new Set(p.identities.map((i) => owners.get(IdentityService.cacheKey(i.kind, i.hash))));
    if (p.identities.length > 0) {
      const [only] = ownerIds;
      if (ownerIds.size === 1 && only !== undefined && (!p.known || p.known.subjectId === only))
        return { subjectId: only };
      // The record shows its identifiers belong together: people known by them apart become one.
      return {
        subjectId: await this.ledger.resolvePreparedSubject(manager, p.identities, {
          source: connection.source,
          reason: 'crm_record_joined_identifiers',
          evidence: {
            source: connection.source,
            connection_id: connection.id,
            record: p.o.record.recordType,
          },
        }),
      };
    }
    if (p.known) return { subjectId: p.known.subjectId };
    if (p.o.fallbackIdentity)
      return { subjectId: await this.ledger.resolveSubject(manager, [p.o.fallbackIdentity]) };
    return p.o.record.phones.length > 0 || p.o.record.email
      ? { outcome: 'invalid_value', reason: 'no usable identifier' }
      : { outcome: 'no_identifier' };
  }

  private async recordConsent(
    manager: EntityManager,
    connection: CrmConnectionRef,
    p: Prepared,
    subjectId: string,
  ): Promise<CrmImportOutcome> {
    const { o } = p;
    const consent = o.record.consent;
    if (!consent) return { outcome: 'linked', subjectId };
    const capture = clampCapture(consent.capturedAt, o.record.observedAt, o.receivedAt);
    if (!capture) return { outcome: 'invalid_value', reason: 'capture time' };
    if (await this.isOwnWrite(manager, o, p.known, subjectId)) return { outcome: 'own_write', subjectId };

    const result = await this.ledger.recordConsent(manager, {
      source: connection.source,
      sourceEventId: o.sourceEventId,
      subjectId,
      purpose: 'marketing',
      channel: 'whatsapp',
      scope: consent.scope,
      status: consent.status,
      method: o.method,
      actor: 'crm',
      capturedAt: capture.at,
      receivedAt: o.receivedAt,
      legalBasis: 'consent',
      // A capture time the CRM claimed beyond what the gateway saw is kept as evidence, flagged.
      evidence: capture.clampedFrom
        ? { ...o.evidence, capture_clamped: true, claimed_captured_at: capture.clampedFrom }
        : o.evidence,
      originConnectionId: connection.id,
      ...(o.inbox ? { payloadDigest: o.inbox.digest, inboxId: o.inbox.id } : {}),
    });
    if (result.effect === 'suppressed') return { outcome: 'suppressed' };
    if (result.duplicate) return { outcome: 'unchanged', status: consent.status, subjectId };
    return {
      outcome: result.effect === 'stale' ? 'stale' : 'recorded',
      status: consent.status,
      subjectId,
      eventId: result.eventId,
    };
  }

  /**
   * The gateway's own write coming back. A record carrying the gateway's event id is an echo only while it
   * still shows that event's status (a CRM user may change the status and leave the id); a record whose value
   * equals what the gateway last pushed to it is one too, and so is an opt-out on a restricted person's record.
   */
  private async isOwnWrite(
    manager: EntityManager,
    o: CrmContactObservation,
    known: KnownRecord | undefined,
    subjectId: string,
  ): Promise<boolean> {
    const consent = o.record.consent!;
    if (consent.ownWriteEventId) {
      const status = await this.ledgerReader.eventStatus(consent.ownWriteEventId, manager);
      if (status === consent.status) return true;
    }
    const pushed = known?.lastPushed;
    if (o.lastPushedValue && pushed && pushed[o.lastPushedValue.key] === o.lastPushedValue.value) return true;
    // A restriction (Art. 18) makes the gateway show every record of the person as opted out: that echo is not the
    // person withdrawing. (A CRM user's own opt-out while the restriction lasts cannot be told apart from it.)
    if (consent.status === 'withdrawn')
      return (await this.ledgerReader.findSubject({ subjectId }, manager))?.restricted === true;
    return false;
  }

  /**
   * Records that do not show the person's current state (one that appeared after a STOP, a duplicate, one showing an
   * older value the ledger kept as stale) get it pushed: the CRM never outranks what the person said.
   */
  private async flagRecordsBehind(
    manager: EntityManager,
    connectionId: string,
    page: readonly Prepared[],
    outcomes: readonly CrmImportOutcome[],
  ): Promise<void> {
    const shown = new Map<string, Set<ConsentStatus | null>>();
    outcomes.forEach((r, i) => {
      if (!('subjectId' in r) || r.outcome === 'own_write') return;
      const statuses = shown.get(r.subjectId) ?? new Set();
      statuses.add(page[i].o.record.consent?.status ?? null);
      shown.set(r.subjectId, statuses);
    });
    if (shown.size === 0) return;
    const current = await this.ledgerReader.marketingStatuses(manager, [...shown.keys()]);
    // Any record of the person showing something else (or nothing) is behind.
    const mismatched = [...shown].filter(([subjectId, statuses]) => {
      const inForce = current.get(subjectId);
      return inForce !== undefined && [...statuses].some((s) => s !== inForce);
    });
    // Except a restricted person's: their records show the restriction (opted out) until it is lifted.
    const behind: typeof mismatched = [];
    for (const entry of mismatched) {
      const person = await this.ledgerReader.findSubject({ subjectId: entry[0] }, manager);
      if (!person?.restricted) behind.push(entry);
    }
    // The oldest read of the page: a push that completed after it already carried the state the record lacked.
    const readAt = new Date(Math.min(...page.map((p) => p.o.receivedAt.getTime())));
    await this.links.recordsBehind(
      manager,
      connectionId,
      behind.map(([subjectId]) => subjectId),
      readAt,
    );
  }
}

const NO_IDENTIFIER = { field: '*', reason: 'no_identifier' };

function dedupe(identities: PreparedIdentity[]): PreparedIdentity[] {
  const seen = new Set<string>();
  return identities.filter((i) => {
    const key = IdentityService.cacheKey(i.kind, i.hash);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
