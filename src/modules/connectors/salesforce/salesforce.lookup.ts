import type { ConnectorError, ConsentPush } from '../connector.port';
import type { SalesforceClient } from './salesforce.client';
import { SALESFORCE_CHUNK_SIZE } from './salesforce.constants';
import { soqlList, type SalesforceConsent } from './salesforce.mapper';
import {
  groupForms,
  personHasPhone,
  phoneDigitForms,
  phoneMatches,
  phoneSosl,
  SOSL_MAX_ROWS,
} from './salesforce.phone-search';
import type { Person, PersonRow, SalesforceTarget } from './salesforce.types';

/** Fields read of every Contact / Lead the connector may write through or report. */
export const PERSON_FIELDS: Record<SalesforceTarget, string> = {
  Contact:
    'Id, IndividualId, FirstName, LastName, MobilePhone, Phone, Email, MailingCountryCode, SystemModstamp',
  Lead: 'Id, IndividualId, FirstName, LastName, MobilePhone, Phone, Email, CountryCode, IsConverted, SystemModstamp',
};

export const KEY_PREFIX: Record<SalesforceTarget, string> = { Contact: '003', Lead: '00Q' };
export const INDIVIDUAL_PREFIX = '0PK';

/** One person being looked up (a consent push, or a data-subject request operation). */
export interface Found {
  item: { deliveryId: string; remoteIds: string[] };
  phones: Set<string>;
  emails: Set<string>;
  /** The person's Contacts and Leads: linked, or found and verified. By Id. */
  records: Map<string, Person>;
  /** Individuals the consent is written to (the records' own, and those found without a record). */
  individuals: string[];
  error?: ConnectorError;
}

/** One item of a consent push being worked out. */
export interface Work extends Found {
  item: ConsentPush;
  consent: SalesforceConsent;
}

export function chunks<T>(values: readonly T[], size = SALESFORCE_CHUNK_SIZE): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/** Salesforce ids are compared by their case-sensitive 15-character form (links may hold either form). */
export const key15 = (id: string) => id.slice(0, 15);

export function addRecord(w: Found, person: Person) {
  // A converted Lead's person is carried by the Contact it became.
  if (person.type === 'Lead' && person.IsConverted) return;
  w.records.set(person.Id, person);
  if (person.IndividualId) addIndividual(w, person.IndividualId);
}

export function addIndividual(w: Found, id: string) {
  if (!w.individuals.some((i) => key15(i) === key15(id))) w.individuals.push(id);
}

/**
 * Finds the Contacts and Leads of each person of a push: the linked ones first; for a person without any, a SOSL
 * phone search, a SOQL email match and the org's ContactPointPhones, every hit verified before it is used.
 */
export class RecordFinder {
  constructor(
    private readonly client: SalesforceClient,
    private readonly targets: readonly SalesforceTarget[],
    private readonly phoneRegion: string | null,
    /** Whether the org uses ContactPointPhone: asked once per connector, kept here (undefined: not asked yet). */
    private readonly contactPointPhones: { value?: boolean },
  ) {}

  async find(works: Found[]): Promise<void> {
    await this.resolveLinks(works);
    const unlinked = works.filter((w) => w.records.size === 0 && w.individuals.length === 0);
    await this.searchPhones(unlinked.filter((w) => w.phones.size > 0));
    await this.matchEmails(unlinked.filter((w) => w.emails.size > 0));
  }

  /**
   * Linked records are read back by Id. Old links name the Individual (0PK…): it is used when it still exists,
   * together with the Contacts and Leads that point at it (so the gateway learns the record-level links).
   */
  private async resolveLinks(works: Found[]) {
    const ids = [...new Set(works.flatMap((w) => w.item.remoteIds))];
    const individualIds = ids.filter((id) => id.startsWith(INDIVIDUAL_PREFIX));
    const existing = new Set<string>();
    for (const part of chunks(individualIds)) {
      const rows = await this.client.queryAll<{ Id: string }>(
        `SELECT Id FROM Individual WHERE Id IN ${soqlList(part)}`,
      );
      for (const r of rows) existing.add(key15(r.Id));
    }
    const liveIndividuals = individualIds.filter((id) => existing.has(key15(id)));
    const byId = new Map<string, Person>();
    const byIndividual = new Map<string, Person[]>();
    for (const type of this.targets) {
      const recordIds = ids.filter((id) => id.startsWith(KEY_PREFIX[type]));
      for (const part of chunks([...recordIds, ...liveIndividuals])) {
        const own = part.filter((id) => id.startsWith(KEY_PREFIX[type]));
        const parties = part.filter((id) => id.startsWith(INDIVIDUAL_PREFIX));
        const where = [
          ...(own.length > 0 ? [`Id IN ${soqlList(own)}`] : []),
          ...(parties.length > 0 ? [`IndividualId IN ${soqlList(parties)}`] : []),
        ].join(' OR ');
        if (!where) continue;
        const rows = await this.client.queryAll<PersonRow>(
          `SELECT ${PERSON_FIELDS[type]} FROM ${type} WHERE ${where}`,
        );
        for (const r of rows) {
          const person = { ...r, type };
          byId.set(key15(r.Id), person);
          if (r.IndividualId) {
            const list = byIndividual.get(key15(r.IndividualId)) ?? [];
            list.push(person);
            byIndividual.set(key15(r.IndividualId), list);
          }
        }
      }
    }
    for (const w of works) {
      for (const id of w.item.remoteIds) {
        if (id.startsWith(INDIVIDUAL_PREFIX)) {
          if (!existing.has(key15(id))) continue;
          addIndividual(w, id);
          for (const p of byIndividual.get(key15(id)) ?? []) addRecord(w, p);
        } else {
          const person = byId.get(key15(id));
          if (person) addRecord(w, person);
        }
      }
    }
  }

  /** Whether the org uses ContactPointPhone: a missing object (INVALID_TYPE) or an empty one is not searched. */
  private async usesContactPointPhones(): Promise<boolean> {
    this.contactPointPhones.value ??= await this.client.hasRecords('ContactPointPhone');
    return this.contactPointPhones.value;
  }

  /**
   * SOSL over the people's phone digit forms, several people per query (bounded by the query's length). A query
   * that hits Salesforce's 2,000-row cap may have dropped rows: it is split in two and asked again.
   */
  private async searchPhones(works: Found[]) {
    if (works.length === 0) return;
    const withCpp = await this.usesContactPointPhones();
    const people = works.map((w, i) => ({ key: i, forms: [...w.phones].flatMap(phoneDigitForms) }));
    const queue = groupForms(people);
    const parties = new Map<string, Found[]>();
    while (queue.length > 0) {
      const group = queue.shift()!;
      const rows = await this.client.search<
        PersonRow & { TelephoneNumber?: string | null; ParentId?: string | null }
      >(phoneSosl(group.forms, this.targets, withCpp));
      if (rows.length >= SOSL_MAX_ROWS && group.keys.length > 1) {
        const half = Math.ceil(group.keys.length / 2);
        const split = (keys: number[]) => groupForms(keys.map((k) => people[k]));
        queue.unshift(...split(group.keys.slice(0, half)), ...split(group.keys.slice(half)));
        continue;
      }
      for (const row of rows) {
        const type = row.attributes?.type;
        for (const k of group.keys) {
          const w = works[k];
          if (type === 'Contact' || type === 'Lead') {
            const person: Person = { ...row, type };
            if (personHasPhone(person, this.phoneRegion, w.phones)) addRecord(w, person);
          } else if (type === 'ContactPointPhone' && row.ParentId?.startsWith(INDIVIDUAL_PREFIX)) {
            // A ContactPointPhone has no country of its own: the connection's region reads national numbers.
            if (phoneMatches([row.TelephoneNumber], this.phoneRegion, w.phones)) {
              addIndividual(w, row.ParentId);
              parties.set(key15(row.ParentId), [...(parties.get(key15(row.ParentId)) ?? []), w]);
            }
          }
        }
      }
    }
    await this.recordsOfIndividuals(parties);
  }

  /** The Contacts and Leads of Individuals found through their ContactPointPhone. */
  private async recordsOfIndividuals(parties: Map<string, Found[]>) {
    if (parties.size === 0) return;
    for (const type of this.targets) {
      for (const part of chunks([...parties.keys()])) {
        const rows = await this.client.queryAll<PersonRow>(
          `SELECT ${PERSON_FIELDS[type]} FROM ${type} WHERE IndividualId IN ${soqlList(part)}`,
        );
        for (const r of rows) {
          for (const w of parties.get(key15(r.IndividualId ?? '')) ?? []) addRecord(w, { ...r, type });
        }
      }
    }
  }

  /** SOQL compares text case-insensitively, so `Email IN (...)` finds every spelling; verified all the same. */
  private async matchEmails(works: Found[]) {
    const emails = [...new Set(works.flatMap((w) => [...w.emails]))];
    if (emails.length === 0) return;
    for (const type of this.targets) {
      for (const part of chunks(emails)) {
        const rows = await this.client.queryAll<PersonRow>(
          `SELECT ${PERSON_FIELDS[type]} FROM ${type} WHERE Email IN ${soqlList(part)}`,
        );
        for (const r of rows) {
          const email = r.Email?.trim().toLowerCase();
          if (!email) continue;
          for (const w of works) if (w.emails.has(email)) addRecord(w, { ...r, type });
        }
      }
    }
  }
}
