import {
  PermanentError,
  type ChangeBatch,
  type ChangePoller,
  type ConnectionContext,
  type ConnectionCredentials,
  type Connector,
  type ConnectorDeps,
  type ConnectorError,
  type ConsentPush,
  type PushOutcome,
  type RemoteContact,
  type RemotePage,
  type TestResult,
} from '../connector.port';
import { SalesforceClient, type SalesforceClientOptions } from './salesforce.client';
import {
  MARKETING_PURPOSE_NAME,
  SALESFORCE_CHUNK_SIZE,
  SALESFORCE_MAX_PAGE_SIZE,
  SALESFORCE_TARGETS,
  WHATSAPP_CHANNEL_NAME,
  WHATSAPP_CONTACT_POINT_TYPE,
} from './salesforce.constants';
import { classifyRecordError } from './salesforce.errors';
import {
  consentFields,
  consentForPush,
  isUnchanged,
  newConsentRecord,
  remoteConsent,
  remoteContact,
  soqlDateTime,
  soqlList,
  soqlString,
  toIso,
  winningConsent,
  type SalesforceConsent,
} from './salesforce.mapper';
import type {
  ConsentRow,
  PersonRow,
  SalesforceMapping,
  SalesforceTarget,
  SaveResultRow,
} from './salesforce.types';

const PERSON_FIELDS = 'Id, IndividualId, FirstName, LastName, MobilePhone, Phone, Email';
const CONSENT_FIELDS =
  'Id, PartyId, PrivacyConsentStatus, EffectiveFrom, CaptureDate, CaptureSource, SystemModstamp';
/** Batches (of up to 2,000 rows) read by one pollChanges call; the cursor resumes where it stopped. */
const MAX_POLL_BATCHES = 5;
/** Cursor of a first poll when the org has no WhatsApp-marketing consent record yet. */
const EPOCH = '1970-01-01T00:00:00.000Z';

type Person = PersonRow & { type: SalesforceTarget };

/** One item of a push being worked out. */
interface Work {
  item: ConsentPush;
  consent: SalesforceConsent;
  /** Individuals the consent is written to, the first one standing for the person (remoteId). */
  individuals: string[];
  /** Matched Contacts/Leads without an Individual: linked to the first one. */
  unlinked: Person[];
  /** Whether the phone must still be looked up (no usable remoteId). */
  byPhone: boolean;
  error?: ConnectorError;
}

const isId = (v: string) => /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(v);

function chunks<T>(values: readonly T[], size = SALESFORCE_CHUNK_SIZE): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/**
 * The Salesforce connector: WhatsApp marketing consent lives in a ContactPointTypeConsent (WhatsApp
 * EngagementChannelType, Marketing DataUsePurpose) of the person's Individual, found through the Contact (and, when
 * the connection says so, the Lead) that carries the phone. Every public method is one unit of work on its own
 * jsforce Connection (salesforce.client.ts); refreshed credentials carry over to the next one.
 */
export class SalesforceConnector implements Connector, ChangePoller {
  /** Changes are ContactPointTypeConsent records, reported by their Individual (PartyId). */
  readonly changeRecordKind = 'salesforce_individual';
  private credentials: ConnectionCredentials;
  private mapping: Partial<SalesforceMapping> & { targets: SalesforceTarget[] };

  constructor(
    private readonly context: ConnectionContext,
    private readonly deps: ConnectorDeps,
    private readonly options: SalesforceClientOptions = {},
  ) {
    this.credentials = context.credentials;
    this.mapping = readMapping(context.mapping);
  }

  private async unit<T>(work: (client: SalesforceClient) => Promise<T>): Promise<T> {
    const client = new SalesforceClient(
      { ...this.context, credentials: this.credentials },
      this.deps,
      this.options,
    );
    try {
      return await work(client);
    } finally {
      this.credentials = client.credentials;
    }
  }

  // ------------------------------------------------------------------ setup

  async ensureSetup(): Promise<Record<string, unknown>> {
    const mapping = await this.unit((client) => this.setup(client));
    return { ...mapping };
  }

  /** The channel and purpose ids: from the mapping when known, else found by Name, else created. */
  private async setup(client: SalesforceClient): Promise<SalesforceMapping> {
    const { targets } = this.mapping;
    let { engagementChannelTypeId, dataUsePurposeId } = this.mapping;
    if (!engagementChannelTypeId) {
      const rows = await client.queryAll<{ Id: string; ContactPointType: string | null }>(
        `SELECT Id, ContactPointType FROM EngagementChannelType WHERE Name = ${soqlString(WHATSAPP_CHANNEL_NAME)}`,
      );
      engagementChannelTypeId =
        (rows.find((r) => r.ContactPointType === WHATSAPP_CONTACT_POINT_TYPE) ?? rows[0])?.Id ??
        (await client.createOne('EngagementChannelType', {
          Name: WHATSAPP_CHANNEL_NAME,
          ContactPointType: WHATSAPP_CONTACT_POINT_TYPE,
          IsActive: true,
        }));
    }
    if (!dataUsePurposeId) {
      const rows = await client.queryAll<{ Id: string }>(
        `SELECT Id FROM DataUsePurpose WHERE Name = ${soqlString(MARKETING_PURPOSE_NAME)}`,
      );
      dataUsePurposeId =
        rows[0]?.Id ??
        (await client.createOne('DataUsePurpose', {
          Name: MARKETING_PURPOSE_NAME,
          Description: 'Marketing messages (Consent Gateway)',
          CanDataSubjectOptOut: true,
        }));
    }
    const mapping = { engagementChannelTypeId, dataUsePurposeId, targets };
    this.mapping = mapping;
    return mapping;
  }

  // ------------------------------------------------------------------ test

  async test(): Promise<TestResult> {
    try {
      return await this.unit(async (client) => {
        const page = await client.query<{ Id: string }>(
          `SELECT Id FROM EngagementChannelType WHERE Name = ${soqlString(WHATSAPP_CHANNEL_NAME)} LIMIT 1`,
        );
        return {
          ok: true,
          detail:
            page.records.length > 0
              ? 'Connected; the WhatsApp engagement channel exists'
              : 'Connected; the WhatsApp engagement channel does not exist yet and is created on setup',
        };
      });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      return { ok: false, detail: `${e.name}: ${e.message}` };
    }
  }

  // ------------------------------------------------------------------ push

  async pushConsent(items: ConsentPush[]): Promise<PushOutcome[]> {
    if (items.length === 0) return [];
    return this.unit(async (client) => {
      const mapping = await this.setup(client);
      const outcomes: PushOutcome[] = [];
      for (const chunk of chunks(items)) outcomes.push(...(await this.pushChunk(client, mapping, chunk)));
      return outcomes;
    });
  }

  /** At most 200 people: a bounded number of calls whatever the chunk's size (about 6 for Contacts by phone). */
  private async pushChunk(
    client: SalesforceClient,
    mapping: SalesforceMapping,
    items: ConsentPush[],
  ): Promise<PushOutcome[]> {
    const outcomes = new Array<PushOutcome | undefined>(items.length);
    const works = new Map<number, Work>();
    items.forEach((item, i) => {
      const consent = consentForPush(item.states);
      if (!consent) {
        outcomes[i] = {
          deliveryId: item.deliveryId,
          outcome: 'skipped',
          reason: 'no_whatsapp_marketing_state',
        };
      } else if (!item.phone && !item.remoteId) {
        outcomes[i] = { deliveryId: item.deliveryId, outcome: 'skipped', reason: 'missing_identity' };
      } else {
        works.set(i, { item, consent, individuals: [], unlinked: [], byPhone: !item.remoteId });
      }
    });

    await this.resolveRemoteIds(client, mapping, [...works.values()]);
    await this.resolvePhones(
      client,
      mapping,
      [...works.values()].filter((w) => w.byPhone && w.item.phone),
    );
    for (const [i, w] of works) {
      if (w.individuals.length === 0 && w.unlinked.length === 0) {
        outcomes[i] = { deliveryId: w.item.deliveryId, outcome: 'skipped', reason: 'not_found_at_vendor' };
        works.delete(i);
      }
    }
    const live = () => [...works.values()].filter((w) => !w.error);
    await this.createIndividuals(client, live());
    await this.linkIndividuals(client, live());
    const written = await this.writeConsents(client, mapping, live());

    for (const [i, w] of works) {
      const deliveryId = w.item.deliveryId;
      const error = w.error ?? w.individuals.map((id) => written.get(id)?.error).find((e) => e !== undefined);
      if (error) {
        outcomes[i] = { deliveryId, outcome: 'failed', error };
        continue;
      }
      const primary = w.individuals[0];
      const result = written.get(primary);
      outcomes[i] = {
        deliveryId,
        outcome: 'succeeded',
        remoteId: primary,
        vendorReference: result?.recordIds[0] ?? null,
        pushed: {
          PrivacyConsentStatus: result?.consent.status,
          EffectiveFrom: result?.consent.capturedAt,
          CaptureSource: result ? consentFields(result.consent).CaptureSource : undefined,
          individualIds: w.individuals,
          consentRecordIds: w.individuals.flatMap((id) => written.get(id)?.recordIds ?? []),
        },
      };
    }
    return outcomes.map(
      (o, i) =>
        o ?? {
          deliveryId: items[i].deliveryId,
          outcome: 'failed',
          error: new PermanentError('not processed'),
        },
    );
  }

  /**
   * Items with a stored remoteId: an Individual id is used when it still exists; a Contact/Lead id (what a backfill
   * stores for a record without an Individual) is read back. When the record is gone, the phone is looked up instead.
   */
  private async resolveRemoteIds(client: SalesforceClient, mapping: SalesforceMapping, works: Work[]) {
    const withId = works.filter((w) => w.item.remoteId && isId(w.item.remoteId));
    for (const w of works) if (w.item.remoteId && !isId(w.item.remoteId)) w.byPhone = true;
    const individualIds = withId.map((w) => w.item.remoteId!).filter((id) => id.startsWith('0PK'));
    const existing = new Set<string>();
    for (const ids of chunks([...new Set(individualIds)])) {
      const rows = await client.queryAll<{ Id: string }>(
        `SELECT Id FROM Individual WHERE Id IN ${soqlList(ids)}`,
      );
      for (const r of rows) existing.add(r.Id.slice(0, 15));
    }
    const people = new Map<string, Person>();
    for (const type of mapping.targets) {
      const prefix = type === 'Contact' ? '003' : '00Q';
      const ids = [...new Set(withId.map((w) => w.item.remoteId!).filter((id) => id.startsWith(prefix)))];
      for (const part of chunks(ids)) {
        const rows = await client.queryAll<PersonRow>(
          `SELECT ${PERSON_FIELDS} FROM ${type} WHERE Id IN ${soqlList(part)}`,
        );
        for (const r of rows) people.set(r.Id.slice(0, 15), { ...r, type });
      }
    }
    for (const w of withId) {
      const id = w.item.remoteId!;
      const key = id.slice(0, 15);
      const person = people.get(key);
      if (id.startsWith('0PK') && existing.has(key)) {
        w.individuals.push(id);
      } else if (person) {
        addPeople(w, [person]);
      } else {
        w.byPhone = true;
      }
    }
  }

  /** Contacts (and Leads, when targeted) whose MobilePhone or Phone is the person's number: one query a type. */
  private async resolvePhones(client: SalesforceClient, mapping: SalesforceMapping, works: Work[]) {
    const phones = [...new Set(works.map((w) => w.item.phone!))];
    if (phones.length === 0) return;
    const byPhone = new Map<string, Map<string, Person>>();
    const note = (phone: string | null, person: Person) => {
      if (!phone) return;
      const found = byPhone.get(phone) ?? new Map<string, Person>();
      found.set(person.Id, person);
      byPhone.set(phone, found);
    };
    for (const type of mapping.targets) {
      for (const part of chunks(phones)) {
        const list = soqlList(part);
        const rows = await client.queryAll<PersonRow>(
          `SELECT ${PERSON_FIELDS} FROM ${type} WHERE MobilePhone IN ${list} OR Phone IN ${list}`,
        );
        for (const r of rows) {
          const person = { ...r, type };
          note(r.MobilePhone, person);
          note(r.Phone, person);
        }
      }
    }
    for (const w of works) {
      const found = [...(byPhone.get(w.item.phone!)?.values() ?? [])].sort((a, b) => (a.Id < b.Id ? -1 : 1));
      addPeople(w, found);
    }
  }

  /** One Individual per person that has none: named after the first matching record (LastName is required). */
  private async createIndividuals(client: SalesforceClient, works: Work[]) {
    const needing = new Map<string, Work[]>();
    for (const w of works) {
      if (w.individuals.length > 0 || w.unlinked.length === 0) continue;
      const key = w.item.phone ?? w.unlinked[0].Id;
      needing.set(key, [...(needing.get(key) ?? []), w]);
    }
    if (needing.size === 0) return;
    const groups = [...needing.values()];
    const results = await client.createMany(
      'Individual',
      groups.map((g) => {
        const p = g[0].unlinked[0];
        return { FirstName: p.FirstName ?? null, LastName: p.LastName || 'Unknown' };
      }),
    );
    groups.forEach((group, i) => {
      const res = results[i];
      for (const w of group) {
        if (res?.success && res.id) w.individuals.push(res.id);
        else w.error = classifyRecordError(res?.errors ?? []);
      }
    });
  }

  /** Sets IndividualId on the matched Contacts/Leads that had none (one collection call per type). */
  private async linkIndividuals(client: SalesforceClient, works: Work[]) {
    const links = new Map<string, { person: Person; individualId: string; works: Work[] }>();
    for (const w of works) {
      for (const p of w.unlinked) {
        const link = links.get(p.Id) ?? { person: p, individualId: w.individuals[0], works: [] };
        link.works.push(w);
        links.set(p.Id, link);
      }
    }
    for (const type of SALESFORCE_TARGETS) {
      const list = [...links.values()].filter((l) => l.person.type === type);
      if (list.length === 0) continue;
      const results = await client.updateMany(
        type,
        list.map((l) => ({ Id: l.person.Id, IndividualId: l.individualId })),
      );
      list.forEach((l, i) => {
        const res = results[i];
        if (res?.success) return;
        const cause = classifyRecordError(res?.errors ?? []);
        const error = new PermanentError(
          `could not link ${type} ${l.person.Id} to Individual ${l.individualId}: ${cause.message}`,
        );
        for (const w of l.works) w.error ??= error;
      });
    }
  }

  /**
   * Upserts the ContactPointTypeConsent of each Individual: existing records (by party, channel and purpose) are
   * updated unless they already say the same, missing ones are created. Two people sharing an Individual (one
   * phone) get one write: the later capture, a withdrawal on a tie.
   */
  private async writeConsents(client: SalesforceClient, mapping: SalesforceMapping, works: Work[]) {
    const wanted = new Map<string, SalesforceConsent>();
    for (const w of works) {
      for (const id of w.individuals) {
        const current = wanted.get(id);
        wanted.set(id, current ? winningConsent(current, w.consent) : w.consent);
      }
    }
    const written = new Map<
      string,
      { consent: SalesforceConsent; recordIds: string[]; error?: ConnectorError }
    >();
    if (wanted.size === 0) return written;
    const existing = await this.consentsOf(client, mapping, [...wanted.keys()]);

    const updates: Array<{ party: string; record: Record<string, unknown> }> = [];
    const creates: Array<{ party: string; record: Record<string, unknown> }> = [];
    for (const [party, consent] of wanted) {
      const rows = existing.get(party) ?? [];
      written.set(party, { consent, recordIds: rows.map((r) => r.Id) });
      if (rows.length === 0) {
        creates.push({ party, record: newConsentRecord(consent, { partyId: party, ...mapping }) });
      }
      for (const row of rows) {
        if (!isUnchanged(row, consent))
          updates.push({ party, record: { Id: row.Id, ...consentFields(consent) } });
      }
    }
    const apply = (list: typeof updates, results: SaveResultRow[], created: boolean) => {
      list.forEach(({ party }, i) => {
        const res = results[i];
        const entry = written.get(party)!;
        if (res?.success) {
          if (created && res.id) entry.recordIds.push(res.id);
        } else {
          entry.error ??= classifyRecordError(res?.errors ?? []);
        }
      });
    };
    if (updates.length > 0)
      apply(
        updates,
        await client.updateMany(
          'ContactPointTypeConsent',
          updates.map((u) => u.record),
        ),
        false,
      );
    if (creates.length > 0)
      apply(
        creates,
        await client.createMany(
          'ContactPointTypeConsent',
          creates.map((c) => c.record),
        ),
        true,
      );
    return written;
  }

  /** The WhatsApp-marketing consent records of these Individuals, by Individual id (one query per 200). */
  private async consentsOf(
    client: SalesforceClient,
    mapping: SalesforceMapping,
    partyIds: readonly string[],
  ): Promise<Map<string, ConsentRow[]>> {
    const out = new Map<string, ConsentRow[]>();
    const ids = [...new Set(partyIds)];
    for (const part of chunks(ids)) {
      const rows = await client.queryAll<ConsentRow>(
        `SELECT ${CONSENT_FIELDS} FROM ContactPointTypeConsent WHERE PartyId IN ${soqlList(part)}` +
          ` AND EngagementChannelTypeId = ${soqlString(mapping.engagementChannelTypeId)}` +
          ` AND DataUsePurposeId = ${soqlString(mapping.dataUsePurposeId)} ORDER BY SystemModstamp DESC`,
      );
      for (const r of rows) {
        if (!r.PartyId) continue;
        // Keyed as the caller's ids are (15 or 18 characters).
        const key = ids.find((id) => id.slice(0, 15) === r.PartyId!.slice(0, 15)) ?? r.PartyId;
        out.set(key, [...(out.get(key) ?? []), r]);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ backfill

  /**
   * Pages through the targeted record types, Contacts first, ordered by Id (keyset: `Id > last`), each person with
   * their WhatsApp-marketing consent. Cursor: `<Type>:<last Id>`.
   */
  async listContacts(cursor: string | null, pageSize: number): Promise<RemotePage> {
    const size = Math.max(1, Math.min(SALESFORCE_MAX_PAGE_SIZE, Math.floor(pageSize)));
    return this.unit(async (client) => {
      const mapping = await this.setup(client);
      const targets = mapping.targets;
      let { index, after } = parseListCursor(cursor, targets);
      while (index < targets.length) {
        const type = targets[index];
        const where = after ? ` WHERE Id > ${soqlString(after)}` : '';
        const page = await client.query<PersonRow>(
          `SELECT Id, IndividualId, MobilePhone, Phone, Email FROM ${type}${where} ORDER BY Id LIMIT ${size}`,
        );
        const rows = page.records;
        if (rows.length === 0) {
          index++;
          after = null;
          continue;
        }
        const consents = await this.consentsOf(
          client,
          mapping,
          rows.map((r) => r.IndividualId).filter((id): id is string => !!id),
        );
        const contacts = rows.map((r) =>
          remoteContact(r, r.IndividualId ? latestOf(consents, r.IndividualId) : null),
        );
        const next =
          rows.length === size
            ? `${type}:${rows[rows.length - 1].Id}`
            : index + 1 < targets.length
              ? `${targets[index + 1]}:`
              : null;
        return { contacts, next };
      }
      return { contacts: [], next: null };
    });
  }

  // ------------------------------------------------------------------ sync back

  /**
   * Consent edits made in Salesforce since the cursor, for the ledger (source salesforce). The first poll (null
   * cursor) starts from the newest existing record: no history flood (the backfill imports history). Each change
   * carries ownWriteEventId when CaptureSource is the gateway's, so the caller drops its own echoes.
   *
   * Batches are read with query locators rather than `LIMIT 200` keyset pages: Salesforce gives every record of one
   * DML transaction (up to 200) the same SystemModstamp, and a `> <stamp> LIMIT 200` loop either skips or repeats
   * them. The cursor is opaque: `<SystemModstamp ISO>|<ids already seen at that instant>`; the query asks for
   * `>= stamp` and drops those ids.
   */
  async pollChanges(cursor: string | null): Promise<ChangeBatch> {
    return this.unit(async (client) => {
      const mapping = await this.setup(client);
      const base =
        `SELECT ${CONSENT_FIELDS} FROM ContactPointTypeConsent` +
        ` WHERE EngagementChannelTypeId = ${soqlString(mapping.engagementChannelTypeId)}` +
        ` AND DataUsePurposeId = ${soqlString(mapping.dataUsePurposeId)}`;
      if (cursor === null) {
        const page = await client.query<ConsentRow>(`${base} ORDER BY SystemModstamp DESC LIMIT 200`);
        const newest = toIso(page.records[0]?.SystemModstamp);
        if (!newest) return { changes: [], cursor: `${EPOCH}|` };
        const ids = page.records.filter((r) => toIso(r.SystemModstamp) === newest).map((r) => r.Id);
        return { changes: [], cursor: formatPollCursor(newest, ids) };
      }
      let { stamp, seen } = parsePollCursor(cursor);
      const changes: RemoteContact[] = [];
      let page = await client.query<ConsentRow>(
        `${base} AND SystemModstamp >= ${soqlDateTime(stamp)} ORDER BY SystemModstamp, Id`,
      );
      for (let batch = 1; ; batch++) {
        const rows = page.records.filter((r) => !(toIso(r.SystemModstamp) === stamp && seen.has(r.Id)));
        changes.push(...(await this.changesOf(client, mapping, rows)));
        for (const r of page.records) {
          const at = toIso(r.SystemModstamp);
          if (!at) continue;
          if (at !== stamp) {
            stamp = at;
            seen = new Set();
          }
          seen.add(r.Id);
        }
        if (page.done || !page.nextRecordsUrl || batch >= MAX_POLL_BATCHES) break;
        page = await client.queryMore<ConsentRow>(page.nextRecordsUrl);
      }
      return { changes, cursor: formatPollCursor(stamp, [...seen]) };
    });
  }

  /** Changed consent records as RemoteContacts: the Individual, and the phone of its Contact (or Lead). */
  private async changesOf(
    client: SalesforceClient,
    mapping: SalesforceMapping,
    rows: ConsentRow[],
  ): Promise<RemoteContact[]> {
    const useful = rows.filter((r) => r.PartyId && remoteConsent(r));
    if (useful.length === 0) return [];
    const parties = [...new Set(useful.map((r) => r.PartyId!))];
    const people = new Map<string, PersonRow>();
    for (const type of mapping.targets) {
      for (const part of chunks(parties.filter((p) => !people.has(p.slice(0, 15))))) {
        const found = await client.queryAll<PersonRow>(
          `SELECT Id, IndividualId, MobilePhone, Phone, Email FROM ${type} WHERE IndividualId IN ${soqlList(part)} ORDER BY Id`,
        );
        for (const p of found) {
          const key = p.IndividualId!.slice(0, 15);
          const known = people.get(key);
          // Prefer a record that has a phone.
          if (!known || (!known.MobilePhone && !known.Phone && (p.MobilePhone || p.Phone)))
            people.set(key, p);
        }
      }
    }
    return useful.map((r) => {
      const person = people.get(r.PartyId!.slice(0, 15));
      return {
        remoteId: r.PartyId!,
        phone: person ? (person.MobilePhone ?? person.Phone ?? null) : null,
        email: person?.Email ?? null,
        consent: remoteConsent(r),
      };
    });
  }
}

function addPeople(w: Work, people: Person[]) {
  for (const p of people) {
    if (p.IndividualId) {
      if (!w.individuals.includes(p.IndividualId)) w.individuals.push(p.IndividualId);
    } else if (!w.unlinked.some((u) => u.Id === p.Id)) {
      w.unlinked.push(p);
    }
  }
}

function latestOf(consents: Map<string, ConsentRow[]>, partyId: string): ConsentRow | null {
  const rows = consents.get(partyId) ?? [];
  return rows[0] ?? null;
}

function readMapping(
  raw: Record<string, unknown>,
): Partial<SalesforceMapping> & { targets: SalesforceTarget[] } {
  const str = (v: unknown) => (typeof v === 'string' && isId(v) ? v : undefined);
  const targets = Array.isArray(raw.targets)
    ? SALESFORCE_TARGETS.filter((t) => (raw.targets as unknown[]).includes(t))
    : [];
  return {
    engagementChannelTypeId: str(raw.engagementChannelTypeId),
    dataUsePurposeId: str(raw.dataUsePurposeId),
    targets: targets.length > 0 ? targets : ['Contact'],
  };
}

function parseListCursor(
  cursor: string | null,
  targets: readonly SalesforceTarget[],
): { index: number; after: string | null } {
  if (!cursor) return { index: 0, after: null };
  const [type, id] = cursor.split(':');
  const index = targets.indexOf(type as SalesforceTarget);
  if (index < 0 || (id && !isId(id)))
    throw new PermanentError(`invalid Salesforce backfill cursor: ${cursor}`);
  return { index, after: id || null };
}

function formatPollCursor(stamp: string, ids: string[]): string {
  return `${stamp}|${ids.join(',')}`;
}

function parsePollCursor(cursor: string): { stamp: string; seen: Set<string> } {
  const [rawStamp, ids = ''] = cursor.split('|');
  const stamp = toIso(rawStamp);
  if (!stamp) throw new PermanentError(`invalid Salesforce poll cursor: ${cursor}`);
  return { stamp, seen: new Set(ids.split(',').filter(Boolean)) };
}
