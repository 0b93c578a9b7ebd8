import {
  NOT_FOUND_AT_VENDOR,
  PermanentError,
  type AccessPull,
  type ConnectorError,
  type RectificationPush,
  type RemotePersonRecord,
  type RequestOutcome,
  type RestrictionPush,
  type SubjectRef,
} from '../connector.port';
import type { SalesforceClient } from './salesforce.client';
import { classifyRecordError } from './salesforce.errors';
import { chunks, key15, PERSON_FIELDS } from './salesforce.lookup';
import { recordRegion, soqlList } from './salesforce.mapper';
import { phoneMatches } from './salesforce.phone-search';
import {
  addAllRecordsOfIndividuals,
  childrenOf,
  findSubjects,
  hasIdentity,
  isFound,
  subjectOf,
  type FinderContext,
  type Subject,
} from './salesforce.subjects';
import type { SalesforceTarget, SaveResultRow } from './salesforce.types';
import { linkRecordsToIndividuals } from './salesforce.writer';

/** Restriction, rectification and access at Salesforce (erasure: salesforce.erasure.ts). */

/** Fields read for an access request, beyond those every lookup reads: everything personal the record holds. */
const ACCESS_FIELDS: Record<SalesforceTarget | 'Individual', string> = {
  Contact: `${PERSON_FIELDS.Contact}, Title, Birthdate, MailingStreet, MailingCity, MailingState, MailingPostalCode, MailingCountry, HasOptedOutOfEmail, DoNotCall, CreatedDate, LastModifiedDate`,
  Lead: `${PERSON_FIELDS.Lead}, Company, Title, Street, City, State, PostalCode, Country, Status, HasOptedOutOfEmail, DoNotCall, CreatedDate, LastModifiedDate`,
  Individual:
    'Id, FirstName, LastName, Salutation, BirthDate, HasOptedOutSolicit, HasOptedOutProcessing, HasOptedOutProfiling, HasOptedOutTracking, HasOptedOutGeoTracking, ShouldForget, CreatedDate, LastModifiedDate',
};

/** Fields read of the records hanging off an Individual, for an access request. */
const CHILD_ACCESS_FIELDS = {
  ContactPointTypeConsent:
    'Name, ContactPointType, DataUsePurposeId, EngagementChannelTypeId, PrivacyConsentStatus, EffectiveFrom, EffectiveTo, CaptureDate, CaptureSource',
  ContactPointPhone: 'TelephoneNumber, IsPrimary, UsageType',
  ContactPointEmail: 'EmailAddress, IsPrimary, UsageType',
};

type Outcomes = Array<RequestOutcome | undefined>;

/**
 * Looks every item up; items without any identity or found nowhere get their outcome here. Returns the found ones.
 */
async function lookUp(
  client: SalesforceClient,
  context: FinderContext,
  subjects: Subject[],
  outcomes: Outcomes,
): Promise<Subject[]> {
  await findSubjects(client, context, subjects.filter(hasIdentity));
  const found: Subject[] = [];
  subjects.forEach((s, i) => {
    if (!hasIdentity(s))
      outcomes[i] = { deliveryId: s.ref.deliveryId, outcome: 'skipped', reason: 'missing_identity' };
    else if (!isFound(s))
      outcomes[i] = { deliveryId: s.ref.deliveryId, outcome: 'skipped', reason: NOT_FOUND_AT_VENDOR };
    else found.push(s);
  });
  return found;
}

function finish(items: readonly SubjectRef[], outcomes: Outcomes): RequestOutcome[] {
  return outcomes.map(
    (o, i) =>
      o ?? { deliveryId: items[i].deliveryId, outcome: 'failed', error: new PermanentError('not processed') },
  );
}

const recordsOf = (s: Subject) =>
  [...s.records.values()]
    .sort((a, b) => (a.Id < b.Id ? -1 : 1))
    .map((p) => ({ remoteId: p.Id, recordType: p.type }));

/**
 * Art. 18: Individual.HasOptedOutProcessing ("Don't Process") holds the person's current restriction; lifting it
 * writes false. A record without an Individual gets one (as a consent push does). Two people of one call sharing an
 * Individual: restricted wins. Individuals that already say so are not written (idempotent).
 */
export async function restrictChunk(
  client: SalesforceClient,
  context: FinderContext,
  items: RestrictionPush[],
): Promise<RequestOutcome[]> {
  const outcomes: Outcomes = new Array<RequestOutcome | undefined>(items.length);
  const subjects = items.map((item) => subjectOf(item));
  const found = await lookUp(client, context, subjects, outcomes);
  await linkRecordsToIndividuals(client, found);
  const wanted = new Map<string, { id: string; restricted: boolean }>();
  for (const s of found.filter((f) => !f.error)) {
    const restricted = (s.ref as RestrictionPush).restricted;
    for (const id of s.individuals) {
      const current = wanted.get(key15(id));
      wanted.set(key15(id), { id, restricted: (current?.restricted ?? false) || restricted });
    }
  }
  const now = new Map<string, boolean>();
  for (const part of chunks([...wanted.values()].map((w) => w.id))) {
    const rows = await client.queryAll<{ Id: string; HasOptedOutProcessing: boolean | null }>(
      `SELECT Id, HasOptedOutProcessing FROM Individual WHERE Id IN ${soqlList(part)}`,
    );
    for (const r of rows) now.set(key15(r.Id), r.HasOptedOutProcessing === true);
  }
  const changes = [...wanted.values()].filter((w) => now.get(key15(w.id)) !== w.restricted);
  const results = await client.updateMany(
    'Individual',
    changes.map((w) => ({ Id: w.id, HasOptedOutProcessing: w.restricted })),
  );
  const resultOf = new Map(changes.map((w, i) => [key15(w.id), results[i]]));
  subjects.forEach((s, i) => {
    if (outcomes[i]) return;
    const written = s.individuals.map((id) => resultOf.get(key15(id))).filter((r) => r !== undefined);
    const error = s.error ?? written.map(errorOf).find((e) => e !== undefined);
    if (error) {
      outcomes[i] = { deliveryId: s.ref.deliveryId, outcome: 'failed', error };
      return;
    }
    outcomes[i] = {
      deliveryId: s.ref.deliveryId,
      outcome: 'succeeded',
      records: recordsOf(s),
      vendorReference: s.individuals[0] ?? null,
      evidence: {
        fields_affected: ['Individual.HasOptedOutProcessing'],
        restricted: (s.ref as RestrictionPush).restricted,
        individuals_updated: written.length,
        individuals_already_set: s.individuals.length - written.length,
      },
    };
  });
  return finish(items, outcomes);
}

/**
 * Art. 16 and 19: the records are found by the previous and the corrected identifiers (a retry finds the records it
 * already rectified); every phone field (Phone, MobilePhone, ContactPointPhone.TelephoneNumber) holding a previous
 * number, compared normalised, gets the corrected one, and every email field holding a previous address gets the
 * corrected address. A field holding neither is left alone: the correction replaces, it never adds.
 */
export async function rectifyChunk(
  client: SalesforceClient,
  context: FinderContext,
  items: RectificationPush[],
): Promise<RequestOutcome[]> {
  const outcomes: Outcomes = new Array<RequestOutcome | undefined>(items.length);
  const subjects = items.map((item) =>
    subjectOf(item, {
      phones: [...item.previous.phones, ...item.current.phones],
      emails: [...item.previous.emails, ...item.current.emails],
    }),
  );
  const found = await lookUp(client, context, subjects, outcomes);
  const children = await childrenOf(
    client,
    found.flatMap((s) => s.individuals),
    { ContactPointPhone: 'TelephoneNumber', ContactPointEmail: 'EmailAddress' },
  );
  // Per record type: the values to write, and which items each write serves.
  const writes = new Map<string, Map<string, { values: Record<string, string>; owners: Subject[] }>>();
  const plan = (type: string, id: string, field: string, value: string, s: Subject) => {
    const byId = writes.get(type) ?? new Map<string, { values: Record<string, string>; owners: Subject[] }>();
    const write = byId.get(key15(id)) ?? { values: { Id: id }, owners: [] };
    write.values[field] = value;
    if (!write.owners.includes(s)) write.owners.push(s);
    byId.set(key15(id), write);
    writes.set(type, byId);
  };
  for (const s of found) {
    const item = s.ref as RectificationPush;
    const oldPhones = new Set(item.previous.phones.filter((p) => !item.current.phones.includes(p)));
    const oldEmails = new Set(item.previous.emails.map((e) => e.trim().toLowerCase()));
    const newPhone = item.current.phones[0];
    const newEmail = item.current.emails[0]?.trim().toLowerCase();
    const isOldPhone = (v: unknown, region: string | null) =>
      typeof v === 'string' && phoneMatches([v], region, oldPhones);
    const isOldEmail = (v: unknown) =>
      typeof v === 'string' && oldEmails.has(v.trim().toLowerCase()) && v.trim().toLowerCase() !== newEmail;
    for (const p of s.records.values()) {
      const region = recordRegion(p) ?? context.phoneRegion;
      for (const field of ['Phone', 'MobilePhone'] as const)
        if (newPhone && isOldPhone(p[field], region)) plan(p.type, p.Id, field, newPhone, s);
      if (newEmail && isOldEmail(p.Email)) plan(p.type, p.Id, 'Email', newEmail, s);
    }
    const mine = new Set(s.individuals.map(key15));
    for (const c of children.filter((child) => mine.has(key15(child.individualId)))) {
      if (newPhone && isOldPhone(c.fields.TelephoneNumber, context.phoneRegion))
        plan(c.type, c.Id, 'TelephoneNumber', newPhone, s);
      if (newEmail && isOldEmail(c.fields.EmailAddress)) plan(c.type, c.Id, 'EmailAddress', newEmail, s);
    }
  }
  const fieldsOf = new Map<Subject, Set<string>>();
  const updatedOf = new Map<Subject, number>();
  const errorOfSubject = new Map<Subject, ConnectorError>();
  for (const [type, byId] of writes) {
    const list = [...byId.values()];
    const results = await client.updateMany(
      type,
      list.map((w) => w.values),
    );
    list.forEach((w, i) => {
      for (const s of w.owners) {
        const error = errorOf(results[i]);
        if (error) {
          if (!errorOfSubject.has(s)) errorOfSubject.set(s, error);
          continue;
        }
        updatedOf.set(s, (updatedOf.get(s) ?? 0) + 1);
        const fields = fieldsOf.get(s) ?? new Set<string>();
        for (const f of Object.keys(w.values)) if (f !== 'Id') fields.add(`${type}.${f}`);
        fieldsOf.set(s, fields);
      }
    });
  }
  subjects.forEach((s, i) => {
    if (outcomes[i]) return;
    const error = errorOfSubject.get(s);
    if (error) {
      outcomes[i] = { deliveryId: s.ref.deliveryId, outcome: 'failed', error };
      return;
    }
    outcomes[i] = {
      deliveryId: s.ref.deliveryId,
      outcome: 'succeeded',
      records: recordsOf(s),
      vendorReference: s.individuals[0] ?? null,
      evidence: {
        records_updated: updatedOf.get(s) ?? 0,
        records_found: s.records.size,
        fields_affected: [...(fieldsOf.get(s) ?? [])].sort(),
      },
    };
  });
  return finish(items, outcomes);
}

/**
 * Art. 15: what Salesforce holds on the person: every Contact and Lead (all personal fields), their Individuals
 * (privacy flags), and the consent records and contact points of those Individuals. Values as Salesforce has them.
 */
export async function readPersonChunk(
  client: SalesforceClient,
  context: FinderContext,
  items: AccessPull[],
): Promise<RequestOutcome[]> {
  const outcomes: Outcomes = new Array<RequestOutcome | undefined>(items.length);
  const subjects = items.map((item) => subjectOf(item));
  const found = await lookUp(client, context, subjects, outcomes);
  await addAllRecordsOfIndividuals(client, context.targets, found);
  const rows = new Map<string, RemotePersonRecord>();
  const read = async (type: SalesforceTarget | 'Individual', ids: string[]) => {
    for (const part of chunks([...new Set(ids)])) {
      const list = await client.queryAll<Record<string, string | number | boolean | null> & { Id: string }>(
        `SELECT ${ACCESS_FIELDS[type]} FROM ${type} WHERE Id IN ${soqlList(part)}`,
      );
      for (const r of list) rows.set(key15(r.Id), { remoteId: r.Id, recordType: type, fields: plain(r) });
    }
  };
  for (const type of context.targets)
    await read(
      type,
      found.flatMap((s) => [...s.records.values()].filter((p) => p.type === type).map((p) => p.Id)),
    );
  await read(
    'Individual',
    found.flatMap((s) => s.individuals),
  );
  const children = await childrenOf(
    client,
    found.flatMap((s) => s.individuals),
    CHILD_ACCESS_FIELDS,
  );
  subjects.forEach((s, i) => {
    if (outcomes[i]) return;
    const mine = new Set(s.individuals.map(key15));
    const data: RemotePersonRecord[] = [
      ...[...s.records.keys(), ...s.individuals]
        .map((id) => rows.get(key15(id)))
        .filter((r): r is RemotePersonRecord => r !== undefined),
      ...children
        .filter((c) => mine.has(key15(c.individualId)))
        .map((c) => ({ remoteId: c.Id, recordType: c.type, fields: { ...c.fields } })),
    ];
    const byType = new Map<string, number>();
    for (const r of data) byType.set(r.recordType, (byType.get(r.recordType) ?? 0) + 1);
    outcomes[i] = {
      deliveryId: s.ref.deliveryId,
      outcome: 'succeeded',
      records: recordsOf(s),
      vendorReference: s.individuals[0] ?? null,
      data,
      evidence: {
        records_read: data.length,
        records_by_type: [...byType.entries()].sort().map(([type, n]) => `${type}=${n}`),
      },
    };
  });
  return finish(items, outcomes);
}

function plain(row: Record<string, unknown>): RemotePersonRecord['fields'] {
  const out: RemotePersonRecord['fields'] = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'attributes') continue;
    out[k] = v === undefined ? null : (v as string | number | boolean | null);
  }
  return out;
}

function errorOf(res: SaveResultRow | undefined): ConnectorError | undefined {
  return res?.success ? undefined : classifyRecordError(res?.errors ?? []);
}
