import { PermanentError, type ConnectorError } from '../connector.port';
import type { SalesforceClient } from './salesforce.client';
import { SALESFORCE_TARGETS } from './salesforce.constants';
import { classifyRecordError } from './salesforce.errors';
import { chunks, type Found, type Work } from './salesforce.lookup';
import {
  consentFields,
  isUnchanged,
  newConsentRecord,
  soqlList,
  soqlString,
  winningConsent,
  type SalesforceConsent,
} from './salesforce.mapper';
import type { ConsentRow, Person, SalesforceMapping, SaveResultRow } from './salesforce.types';

const CONSENT_FIELDS =
  'Id, PartyId, PrivacyConsentStatus, EffectiveFrom, CaptureDate, CaptureSource, SystemModstamp';

/** What writeConsents did for one Individual. */
export interface WrittenConsent {
  consent: SalesforceConsent;
  recordIds: string[];
  error?: ConnectorError;
}

const unlinkedOf = (w: Found): Person[] =>
  [...w.records.values()].filter((p) => !p.IndividualId).sort((a, b) => (a.Id < b.Id ? -1 : 1));

/**
 * Gives every record of every person an Individual: a person who has one already lends it to their records
 * without one; a person who has none gets one new Individual (named after their first record: LastName is
 * required), shared with anyone pushed in the same call who has the same record. Then sets IndividualId on
 * those records (one collection call per type).
 */
export async function linkRecordsToIndividuals(client: SalesforceClient, works: Found[]): Promise<void> {
  const needing = new Map<string, Found[]>();
  for (const w of works) {
    const first = unlinkedOf(w)[0];
    if (w.individuals.length > 0 || !first) continue;
    needing.set(first.Id, [...(needing.get(first.Id) ?? []), w]);
  }
  if (needing.size > 0) {
    const groups = [...needing.values()];
    const results = await client.createMany(
      'Individual',
      groups.map((g) => {
        const p = unlinkedOf(g[0])[0];
        return { FirstName: p.FirstName ?? null, LastName: p.LastName || 'Unknown' };
      }),
    );
    groups.forEach((group, i) => {
      const res = results[i];
      for (const w of group) {
        if (res?.success && res.id) w.individuals.push(res.id);
        else w.error ??= classifyRecordError(res?.errors ?? []);
      }
    });
  }

  // Each record without an Individual takes that of the first person (in push order) who has it.
  const links = new Map<string, { person: Person; individualId: string; works: Found[] }>();
  for (const w of works) {
    if (w.error || w.individuals.length === 0) continue;
    for (const p of unlinkedOf(w)) {
      const link = links.get(p.Id) ?? { person: p, individualId: w.individuals[0], works: [] };
      link.works.push(w);
      links.set(p.Id, link);
      if (!w.individuals.includes(link.individualId)) w.individuals.push(link.individualId);
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
 * updated unless they already say the same, missing ones are created. Two people sharing an Individual get one
 * write: the later capture, a withdrawal on a tie.
 */
export async function writeConsents(
  client: SalesforceClient,
  mapping: SalesforceMapping,
  works: Work[],
): Promise<Map<string, WrittenConsent>> {
  const wanted = new Map<string, SalesforceConsent>();
  for (const w of works) {
    for (const id of w.individuals) {
      const current = wanted.get(id);
      wanted.set(id, current ? winningConsent(current, w.consent) : w.consent);
    }
  }
  const written = new Map<string, WrittenConsent>();
  if (wanted.size === 0) return written;
  const existing = await consentsOf(client, mapping, [...wanted.keys()]);

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
  if (updates.length > 0) {
    const results = await client.updateMany(
      'ContactPointTypeConsent',
      updates.map((u) => u.record),
    );
    apply(updates, results, false);
  }
  if (creates.length > 0) {
    const results = await client.createMany(
      'ContactPointTypeConsent',
      creates.map((c) => c.record),
    );
    apply(creates, results, true);
  }
  return written;
}

/** The WhatsApp-marketing consent records of these Individuals, newest first, by Individual id (as given). */
export async function consentsOf(
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

/** The newest consent record of an Individual, if any. */
export function latestConsent(
  consents: Map<string, ConsentRow[]>,
  partyId: string | null | undefined,
): ConsentRow | null {
  return partyId ? (consents.get(partyId)?.[0] ?? null) : null;
}

export { CONSENT_FIELDS };
