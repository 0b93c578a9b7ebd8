import { PermanentError, type SubjectRef } from '../connector.port';
import type { SalesforceClient } from './salesforce.client';
import { CONTACT_POINT_TYPES } from './salesforce.constants';
import {
  addIndividual,
  addRecord,
  chunks,
  INDIVIDUAL_PREFIX,
  key15,
  KEY_PREFIX,
  PERSON_FIELDS,
  RecordFinder,
  type Found,
} from './salesforce.lookup';
import { soqlList } from './salesforce.mapper';
import type { PersonRow, SalesforceTarget, SaveResultRow } from './salesforce.types';

/**
 * The shared part of the data-subject request operations (erase, restrict, rectify, readPerson): finding each
 * person's Contacts, Leads and Individuals the way a consent push does (links first, then the verified phone and
 * email lookup), the records hanging off their Individuals, and telling "already gone" from "never there".
 */

export const isSalesforceId = (v: string) => /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(v);

/** One person of a request operation being worked out. */
export interface Subject extends Found {
  ref: SubjectRef;
  /** Linked records found only in the recycle bin: an erasure of this person already ran (or someone deleted them). */
  deletedLinks: number;
}

/** What a connector instance keeps between calls and hands to the finder. */
export interface FinderContext {
  targets: readonly SalesforceTarget[];
  phoneRegion: string | null;
  contactPointPhones: { value?: boolean };
}

/** A subject looked up by its own identifiers, or by `lookup` (a rectification looks for the previous ones). */
export function subjectOf(ref: SubjectRef, lookup?: { phones: string[]; emails: string[] }): Subject {
  return {
    ref,
    item: { deliveryId: ref.deliveryId, remoteIds: ref.remoteIds.filter(isSalesforceId) },
    phones: new Set(lookup?.phones ?? ref.phones),
    emails: new Set((lookup?.emails ?? ref.emails).map((e) => e.trim().toLowerCase())),
    records: new Map(),
    individuals: [],
    deletedLinks: 0,
  };
}

export const hasIdentity = (s: Subject) =>
  s.phones.size > 0 || s.emails.size > 0 || s.item.remoteIds.length > 0;
export const isFound = (s: Found) => s.records.size > 0 || s.individuals.length > 0;

/** Finds every subject's records; then, for those found nowhere, looks for their linked records in the recycle bin. */
export async function findSubjects(
  client: SalesforceClient,
  context: FinderContext,
  subjects: Subject[],
): Promise<void> {
  const finder = new RecordFinder(client, context.targets, context.phoneRegion, context.contactPointPhones);
  await finder.find(subjects);
  await recoverFromRecycleBin(
    client,
    context.targets,
    subjects.filter((s) => !isFound(s) && s.item.remoteIds.length > 0),
  );
}

/**
 * Linked records of people found nowhere, read with `/queryAll`: a record in the recycle bin counts as already
 * deleted, and the Individual it pointed at, when still there, is the person's (an erasure that was interrupted
 * after deleting the Contact resumes with the Individual).
 */
async function recoverFromRecycleBin(
  client: SalesforceClient,
  targets: readonly SalesforceTarget[],
  subjects: Subject[],
): Promise<void> {
  if (subjects.length === 0) return;
  const ids = [...new Set(subjects.flatMap((s) => s.item.remoteIds))];
  const deleted = new Set<string>();
  const individualOf = new Map<string, string>();
  for (const type of targets) {
    for (const part of chunks(ids.filter((id) => id.startsWith(KEY_PREFIX[type])))) {
      const rows = await client.queryAllWithDeleted<{
        Id: string;
        IndividualId: string | null;
        IsDeleted: boolean;
      }>(`SELECT Id, IndividualId, IsDeleted FROM ${type} WHERE Id IN ${soqlList(part)}`);
      for (const r of rows) {
        if (!r.IsDeleted) continue;
        deleted.add(key15(r.Id));
        if (r.IndividualId) individualOf.set(key15(r.Id), r.IndividualId);
      }
    }
  }
  for (const part of chunks(ids.filter((id) => id.startsWith(INDIVIDUAL_PREFIX)))) {
    const rows = await client.queryAllWithDeleted<{ Id: string; IsDeleted: boolean }>(
      `SELECT Id, IsDeleted FROM Individual WHERE Id IN ${soqlList(part)}`,
    );
    for (const r of rows) if (r.IsDeleted) deleted.add(key15(r.Id));
  }
  const candidates = [...new Set(individualOf.values())];
  const live = new Set<string>();
  for (const part of chunks(candidates)) {
    const rows = await client.queryAll<{ Id: string }>(
      `SELECT Id FROM Individual WHERE Id IN ${soqlList(part)}`,
    );
    for (const r of rows) live.add(key15(r.Id));
  }
  for (const s of subjects) {
    for (const id of s.item.remoteIds) {
      if (!deleted.has(key15(id))) continue;
      s.deletedLinks++;
      const individual = individualOf.get(key15(id));
      if (individual && live.has(key15(individual))) addIndividual(s, individual);
    }
  }
  // The live records of a recovered Individual (a duplicate Lead the interrupted erasure had not reached yet).
  const recovered = subjects.filter((s) => s.individuals.length > 0);
  const rows = await recordsOfIndividuals(
    client,
    targets,
    recovered.flatMap((s) => s.individuals),
  );
  for (const s of recovered) {
    const mine = new Set(s.individuals.map(key15));
    for (const p of rows) if (p.IndividualId && mine.has(key15(p.IndividualId))) addRecord(s, p);
  }
}

/** The Contacts and Leads pointing at these Individuals (every record Salesforce says stands for them). */
export async function recordsOfIndividuals(
  client: SalesforceClient,
  targets: readonly SalesforceTarget[],
  individuals: readonly string[],
): Promise<Array<PersonRow & { type: SalesforceTarget }>> {
  const out: Array<PersonRow & { type: SalesforceTarget }> = [];
  const ids = [...new Set(individuals)];
  for (const type of targets) {
    for (const part of chunks(ids)) {
      const rows = await client.queryAll<PersonRow>(
        `SELECT ${PERSON_FIELDS[type]} FROM ${type} WHERE IndividualId IN ${soqlList(part)}`,
      );
      out.push(...rows.map((r) => ({ ...r, type })));
    }
  }
  return out;
}

/** A record hanging off an Individual: a consent record (PartyId) or a contact point (ParentId). */
export interface ChildRecord {
  Id: string;
  type: string;
  individualId: string;
  fields: Record<string, string | number | boolean | null>;
}

/**
 * The ContactPointTypeConsents, ContactPointPhones and ContactPointEmails of these Individuals (`fields`: which
 * columns to read besides Id and the parent). An org without a contact-point object (INVALID_TYPE) has none.
 */
export async function childrenOf(
  client: SalesforceClient,
  individuals: readonly string[],
  fields: Partial<Record<string, string>> = {},
): Promise<ChildRecord[]> {
  const out: ChildRecord[] = [];
  const ids = [...new Set(individuals)];
  if (ids.length === 0) return out;
  const kinds: Array<{ type: string; parent: string }> = [
    { type: 'ContactPointTypeConsent', parent: 'PartyId' },
    ...CONTACT_POINT_TYPES.map((type) => ({ type, parent: 'ParentId' })),
  ];
  for (const { type, parent } of kinds) {
    const extra = fields[type] ? `, ${fields[type]}` : '';
    for (const part of chunks(ids)) {
      let rows: Array<Record<string, string | number | boolean | null> & { Id: string }>;
      try {
        rows = await client.queryAll(
          `SELECT Id, ${parent}${extra} FROM ${type} WHERE ${parent} IN ${soqlList(part)}`,
        );
      } catch (err) {
        if (err instanceof PermanentError && err.message.startsWith('Salesforce INVALID_TYPE:')) break;
        throw err;
      }
      for (const r of rows) {
        const fields: ChildRecord['fields'] = {};
        for (const [k, v] of Object.entries(r))
          if (k !== 'Id' && k !== parent && k !== 'attributes') fields[k] = v;
        out.push({ Id: r.Id, type, individualId: String(r[parent]), fields });
      }
    }
  }
  return out;
}

/** Whether a record's delete or update failed only because the record is already gone (idempotent success). */
export function alreadyGone(res: SaveResultRow | undefined): boolean {
  const code = res?.errors[0]?.statusCode ?? res?.errors[0]?.errorCode;
  return code === 'ENTITY_IS_DELETED' || code === 'INVALID_CROSS_REFERENCE_KEY' || code === 'NOT_FOUND';
}

/**
 * Adds every Contact and Lead pointing at the subjects' Individuals, converted Leads included: for an erasure or an
 * access request, everything Salesforce holds on the person counts (a consent push leaves converted Leads out).
 */
export async function addAllRecordsOfIndividuals(
  client: SalesforceClient,
  targets: readonly SalesforceTarget[],
  subjects: readonly Subject[],
): Promise<void> {
  const rows = await recordsOfIndividuals(
    client,
    targets,
    subjects.flatMap((s) => s.individuals),
  );
  for (const s of subjects) {
    const mine = new Set(s.individuals.map(key15));
    for (const p of rows) if (p.IndividualId && mine.has(key15(p.IndividualId))) s.records.set(p.Id, p);
  }
}
