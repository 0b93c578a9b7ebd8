import { PermanentError, type ChangeBatch, type RemoteContact } from '../connector.port';
import { FORGET_SELECT, forgetSignalsOf, type ForgetRow } from './salesforce.forget-poll';
import type { SalesforceClient } from './salesforce.client';
import { chunks, PERSON_FIELDS } from './salesforce.lookup';
import { readConsent, remoteContact, soqlDateTime, soqlList, soqlString, toIso } from './salesforce.mapper';
import type { ConsentRow, Person, PersonRow, SalesforceMapping, SalesforceTarget } from './salesforce.types';
import { CONSENT_FIELDS, consentsOf, latestConsent } from './salesforce.writer';

/** Batches (of up to 2,000 rows) read of each stream by one poll; the cursor resumes where it stopped. */
const MAX_POLL_BATCHES = 5;
/** Where a stream starts when the org has no record of its kind yet. */
const EPOCH = '1970-01-01T00:00:00.000Z';

/** Where one stream stands: the newest SystemModstamp read, and the ids already read at that very instant. */
interface StreamPosition {
  at: string;
  ids: string[];
}

/**
 * The poll cursor: one position per stream (consent records, each targeted record type, and Individuals with
 * ShouldForget set: `forget`).
 */
type PollCursor = Partial<Record<'consent' | 'forget' | SalesforceTarget, StreamPosition>>;

interface Stamped {
  Id: string;
  SystemModstamp?: string | null;
}

/**
 * Changes made in Salesforce since the cursor, for the ledger (source salesforce): WhatsApp-marketing consent
 * records edited, and Contacts / Leads created or edited (a record that appears after a STOP is linked by the
 * gateway and gets the person's state). Each change is one Contact or Lead with its Individual's current consent.
 * The first poll (null cursor) starts from the newest existing records: no history flood (the backfill imports it).
 *
 * Batches are read with query locators rather than `LIMIT 200` keyset pages: Salesforce gives every record of one
 * DML transaction (up to 200) the same SystemModstamp, and a `> <stamp> LIMIT 200` loop either skips or repeats
 * them. Each stream asks for `>= stamp` and drops the ids it already read at that instant. Individuals someone set
 * ShouldForget on come back as forget signals (salesforce.forget-poll.ts). The cursor is opaque
 * JSON of every stream's position; the older `<stamp>|<ids>` form (consent stream only) is still read.
 */
export async function pollChanges(
  client: SalesforceClient,
  mapping: SalesforceMapping,
  cursor: string | null,
): Promise<ChangeBatch> {
  const consentSelect =
    `SELECT ${CONSENT_FIELDS} FROM ContactPointTypeConsent` +
    ` WHERE EngagementChannelTypeId = ${soqlString(mapping.engagementChannelTypeId)}` +
    ` AND DataUsePurposeId = ${soqlString(mapping.dataUsePurposeId)}`;
  const recordSelect = (type: SalesforceTarget) => `SELECT ${PERSON_FIELDS[type]} FROM ${type} WHERE`;

  if (cursor === null) {
    const start: PollCursor = {
      consent: await newest(client, `${consentSelect} AND`),
    };
    for (const type of mapping.targets) start[type] = await newest(client, recordSelect(type));
    start.forget = await newest(client, FORGET_SELECT);
    return { changes: [], cursor: JSON.stringify(start), forgetSignals: [] };
  }

  const position = parsePollCursor(cursor, mapping.targets);
  const next: PollCursor = {};
  const consentRows: ConsentRow[] = [];
  const consentFrom = position.consent ?? { at: EPOCH, ids: [] };
  next.consent = await readStream(client, `${consentSelect} AND`, consentFrom, (rows) =>
    consentRows.push(...(rows as ConsentRow[])),
  );
  const people = new Map<string, Person>();
  for (const type of mapping.targets) {
    // A record type targeted since the last poll starts from now, as a first poll does.
    const from = position[type];
    next[type] = from
      ? await readStream(client, recordSelect(type), from, (rows) => {
          for (const r of rows as PersonRow[]) people.set(r.Id, { ...r, type });
        })
      : await newest(client, recordSelect(type));
  }
  // A consent record in force (OptIn / OptOut) was edited: every record of its Individual carries the change.
  const parties = [
    ...new Set(consentRows.filter((r) => r.PartyId && readConsent(r).consent).map((r) => r.PartyId!)),
  ];
  for (const type of mapping.targets) {
    for (const part of chunks(parties)) {
      const rows = await client.queryAll<PersonRow>(
        `SELECT ${PERSON_FIELDS[type]} FROM ${type} WHERE IndividualId IN ${soqlList(part)} ORDER BY Id`,
      );
      for (const r of rows) if (!people.has(r.Id)) people.set(r.Id, { ...r, type });
    }
  }
  const live = [...people.values()].filter((p) => !(p.type === 'Lead' && p.IsConverted));
  const consents = await consentsOf(
    client,
    mapping,
    live.map((p) => p.IndividualId).filter((id): id is string => !!id),
  );
  const changes: RemoteContact[] = live.map((p) => remoteContact(p, latestConsent(consents, p.IndividualId)));
  // A cursor from before the forget stream existed starts it from now, as a first poll does.
  const forgotten: ForgetRow[] = [];
  next.forget = position.forget
    ? await readStream(client, FORGET_SELECT, position.forget, (rows) =>
        forgotten.push(...(rows as ForgetRow[])),
      )
    : await newest(client, FORGET_SELECT);
  const forgetSignals = await forgetSignalsOf(client, mapping.targets, forgotten);
  return { changes, cursor: JSON.stringify(next), forgetSignals };
}

/** Where a stream starts on a first poll: its newest record (and every record sharing that instant). */
async function newest(client: SalesforceClient, select: string): Promise<StreamPosition> {
  const page = await client.query<Stamped>(
    `${select} SystemModstamp != null ORDER BY SystemModstamp DESC LIMIT 200`,
  );
  const at = toIso(page.records[0]?.SystemModstamp);
  if (!at) return { at: EPOCH, ids: [] };
  return { at, ids: page.records.filter((r) => toIso(r.SystemModstamp) === at).map((r) => r.Id) };
}

/** Reads one stream from a position, up to MAX_POLL_BATCHES batches; returns where it stopped. */
async function readStream(
  client: SalesforceClient,
  select: string,
  from: StreamPosition,
  take: (rows: Stamped[]) => void,
): Promise<StreamPosition> {
  let at = from.at;
  let seen = new Set(from.ids);
  let page = await client.query<Stamped>(
    `${select} SystemModstamp >= ${soqlDateTime(at)} ORDER BY SystemModstamp, Id`,
  );
  for (let batch = 1; ; batch++) {
    take(page.records.filter((r) => !(toIso(r.SystemModstamp) === at && seen.has(r.Id))));
    for (const r of page.records) {
      const stamp = toIso(r.SystemModstamp);
      if (!stamp) continue;
      if (stamp !== at) {
        at = stamp;
        seen = new Set();
      }
      seen.add(r.Id);
    }
    if (page.done || !page.nextRecordsUrl || batch >= MAX_POLL_BATCHES) break;
    page = await client.queryMore<Stamped>(page.nextRecordsUrl);
  }
  return { at, ids: [...seen] };
}

function parsePollCursor(cursor: string, targets: readonly SalesforceTarget[]): PollCursor {
  const invalid = () => new PermanentError('invalid Salesforce poll cursor');
  if (!cursor.startsWith('{')) {
    // The consent-only cursor of earlier versions: the record streams start at the same instant.
    const [rawStamp, ids = ''] = cursor.split('|');
    const at = toIso(rawStamp);
    if (!at) throw invalid();
    const out: PollCursor = { consent: { at, ids: ids.split(',').filter(Boolean) } };
    for (const type of targets) out[type] = { at, ids: [] };
    return out;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(cursor);
  } catch {
    throw invalid();
  }
  const out: PollCursor = {};
  for (const stream of ['consent', 'forget', ...targets] as const) {
    const p = (raw as Record<string, unknown>)[stream] as Partial<StreamPosition> | undefined;
    if (p === undefined) continue;
    const at = typeof p.at === 'string' ? toIso(p.at) : null;
    if (!at || !Array.isArray(p.ids)) throw invalid();
    out[stream] = { at, ids: p.ids.filter((id): id is string => typeof id === 'string') };
  }
  return out;
}
