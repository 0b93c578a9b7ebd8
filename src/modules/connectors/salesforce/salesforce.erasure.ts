import {
  NOT_FOUND_AT_VENDOR,
  PermanentError,
  type ConnectorError,
  type ErasureMode,
  type ErasurePush,
  type OperationEvidence,
  type RequestOutcome,
} from '../connector.port';
import type { SalesforceClient } from './salesforce.client';
import { ERASED_MARKER } from './salesforce.constants';
import { classifyRecordError } from './salesforce.errors';
import {
  alreadyGone,
  childrenOf,
  findSubjects,
  hasIdentity,
  isFound,
  addAllRecordsOfIndividuals,
  subjectOf,
  type ChildRecord,
  type FinderContext,
  type Subject,
} from './salesforce.subjects';
import type { SalesforceTarget, SaveResultRow } from './salesforce.types';
import { linkRecordsToIndividuals } from './salesforce.writer';
import { key15 } from './salesforce.lookup';

/** The personal fields a masking erasure overwrites, per record type (null clears; the marker fills required ones). */
const MASKED_FIELDS: Record<SalesforceTarget | 'Individual', Record<string, string | null>> = {
  Contact: {
    FirstName: null,
    LastName: ERASED_MARKER,
    Email: null,
    Phone: null,
    MobilePhone: null,
    Title: null,
    Birthdate: null,
    MailingStreet: null,
    MailingCity: null,
    MailingState: null,
    MailingPostalCode: null,
    MailingCountry: null,
    MailingCountryCode: null,
  },
  Lead: {
    FirstName: null,
    LastName: ERASED_MARKER,
    // A Lead's company is often the person themselves (sole traders, B2C leads): masked as well.
    Company: ERASED_MARKER,
    Email: null,
    Phone: null,
    MobilePhone: null,
    Title: null,
    Street: null,
    City: null,
    State: null,
    PostalCode: null,
    Country: null,
    CountryCode: null,
  },
  Individual: { FirstName: null, LastName: ERASED_MARKER, Salutation: null, BirthDate: null },
};

/** Salesforce's own "forget" and "don't process" flags, set on every Individual of the person first. */
const FORGET_FLAGS = { ShouldForget: true, HasOptedOutProcessing: true };

type Effect = 'flag' | 'delete' | 'mask';

/** What one item's erasure touched, for its evidence (counts and field names, never values). */
interface Tally {
  byType: Map<string, number>;
  fields: Set<string>;
  error?: ConnectorError;
}

/**
 * Art. 17 at Salesforce, for at most 200 people: every record of the person is found (links, then the verified
 * phone and email lookup), each is given an Individual when it has none, every Individual gets ShouldForget (and
 * HasOptedOutProcessing) set: Salesforce's own "forget this Individual" flag, which other integrations of the org
 * honour; then, by the connection's erasure mode:
 *
 * - hard_delete (and vendor_gdpr_delete: Salesforce has no GDPR purge of its own): the Individuals' consent records
 *   and contact points, then the Contacts and Leads, then the Individuals are deleted. Deleting a Contact does not
 *   delete its Individual (a lookup, not a cascade), so each is deleted explicitly, children first.
 * - mask_fields: the personal fields of every Contact, Lead and Individual are overwritten, contact points (nothing
 *   but identifiers) are deleted, and the Individual stays with ShouldForget set, its consent records kept (the
 *   opt-out stays on record at the vendor).
 *
 * Idempotent: a record already deleted is a success, and a person whose linked records are all in the recycle bin
 * was erased before (a retry after a crash); a person never found is skipped NOT_FOUND_AT_VENDOR.
 */
export async function eraseChunk(
  client: SalesforceClient,
  context: FinderContext,
  items: ErasurePush[],
): Promise<RequestOutcome[]> {
  const subjects = items.map((item) => subjectOf(item));
  const outcomes = new Array<RequestOutcome | undefined>(items.length);
  const live: Subject[] = [];
  await findSubjects(client, context, subjects.filter(hasIdentity));
  subjects.forEach((s, i) => {
    if (!hasIdentity(s))
      outcomes[i] = { deliveryId: s.ref.deliveryId, outcome: 'skipped', reason: 'missing_identity' };
    else if (isFound(s)) live.push(s);
    else if (s.deletedLinks === 0)
      outcomes[i] = { deliveryId: s.ref.deliveryId, outcome: 'skipped', reason: NOT_FOUND_AT_VENDOR };
  });

  // Every record of an Individual is the person (Salesforce's model): erased with the ones that were found.
  await addAllRecordsOfIndividuals(client, context.targets, live);
  await linkRecordsToIndividuals(client, live);
  const tallies = new Map<Subject, Tally>(subjects.map((s) => [s, { byType: new Map(), fields: new Set() }]));
  const ok = () => live.filter((s) => !s.error && !tallies.get(s)!.error);

  const individuals = unique(ok().flatMap((s) => s.individuals));
  const flagged = await client.updateMany(
    'Individual',
    individuals.map((Id) => ({ Id, ...FORGET_FLAGS })),
  );
  apply(tallies, ok(), 'Individual', individuals, flagged, 'flag');

  const mode: Exclude<ErasureMode, 'vendor_gdpr_delete'> =
    items[0]?.mode === 'mask_fields' ? 'mask_fields' : 'hard_delete';
  const children = await childrenOf(client, unique(ok().flatMap((s) => s.individuals)));
  if (mode === 'hard_delete') await hardDelete(client, tallies, ok(), children);
  else await mask(client, tallies, ok(), children);

  subjects.forEach((s, i) => {
    if (outcomes[i]) return;
    const tally = tallies.get(s)!;
    const error = s.error ?? tally.error;
    if (error) {
      outcomes[i] = { deliveryId: s.ref.deliveryId, outcome: 'failed', error };
      return;
    }
    const total = [...tally.byType.values()].reduce((a, b) => a + b, 0);
    const evidence: OperationEvidence = {
      erasure_mode_used: mode,
      should_forget_set: s.individuals.length > 0,
      already_erased: !isFound(s) && s.deletedLinks > 0,
      [mode === 'hard_delete' ? 'records_erased' : 'records_masked']: total,
      records_by_type: [...tally.byType.entries()].sort().map(([type, n]) => `${type}=${n}`),
      fields_affected: [...tally.fields].sort(),
    };
    outcomes[i] = {
      deliveryId: s.ref.deliveryId,
      outcome: 'succeeded',
      vendorReference: s.individuals[0] ?? null,
      evidence,
    };
  });
  return outcomes.map(
    (o, i) =>
      o ?? { deliveryId: items[i].deliveryId, outcome: 'failed', error: new PermanentError('not processed') },
  );
}

/** Children, then Contacts and Leads, then Individuals: a required lookup would refuse the parent's delete. */
async function hardDelete(
  client: SalesforceClient,
  tallies: Map<Subject, Tally>,
  subjects: Subject[],
  children: ChildRecord[],
) {
  const childIds = children.map((c) => c.Id);
  const childType = new Map(children.map((c) => [key15(c.Id), c]));
  const childResults = await client.destroyMany('ContactPointTypeConsent', childIds);
  for (const s of subjects) {
    const mine = new Set(s.individuals.map(key15));
    children.forEach((c, i) => {
      if (mine.has(key15(c.individualId)))
        count(tallies.get(s)!, childType.get(key15(c.Id))!.type, childResults[i], 'delete');
    });
  }
  for (const type of ['Contact', 'Lead'] as const) {
    const ids = unique(
      subjects.flatMap((s) => [...s.records.values()].filter((p) => p.type === type).map((p) => p.Id)),
    );
    if (ids.length > 0) apply(tallies, subjects, type, ids, await client.destroyMany(type, ids), 'delete');
  }
  const individuals = unique(okOf(tallies, subjects).flatMap((s) => s.individuals));
  if (individuals.length > 0)
    apply(
      tallies,
      okOf(tallies, subjects),
      'Individual',
      individuals,
      await client.destroyMany('Individual', individuals),
      'delete',
    );
}

/** Personal fields overwritten; contact points (only identifiers) deleted; consent records kept. */
async function mask(
  client: SalesforceClient,
  tallies: Map<Subject, Tally>,
  subjects: Subject[],
  children: ChildRecord[],
) {
  const points = children.filter((c) => c.type !== 'ContactPointTypeConsent');
  const results = await client.destroyMany(
    'ContactPointPhone',
    points.map((c) => c.Id),
  );
  for (const s of subjects) {
    const mine = new Set(s.individuals.map(key15));
    points.forEach((c, i) => {
      if (mine.has(key15(c.individualId))) count(tallies.get(s)!, c.type, results[i], 'delete');
    });
  }
  for (const type of ['Contact', 'Lead'] as const) {
    const ids = unique(
      subjects.flatMap((s) => [...s.records.values()].filter((p) => p.type === type).map((p) => p.Id)),
    );
    if (ids.length === 0) continue;
    const res = await client.updateMany(
      type,
      ids.map((Id) => ({ Id, ...MASKED_FIELDS[type] })),
    );
    apply(tallies, subjects, type, ids, res, 'mask');
  }
  const individuals = unique(subjects.flatMap((s) => s.individuals));
  const res = await client.updateMany(
    'Individual',
    individuals.map((Id) => ({ Id, ...MASKED_FIELDS.Individual })),
  );
  apply(tallies, subjects, 'Individual', individuals, res, 'mask');
}

/** Attributes the per-record results of one call to every subject that owns the record. */
function apply(
  tallies: Map<Subject, Tally>,
  subjects: Subject[],
  type: string,
  ids: string[],
  results: SaveResultRow[],
  effect: Effect,
): void {
  const index = new Map(ids.map((id, i) => [key15(id), i]));
  for (const s of subjects) {
    const owned =
      type === 'Individual'
        ? s.individuals
        : [...s.records.values()].filter((p) => p.type === type).map((p) => p.Id);
    for (const id of owned) {
      const i = index.get(key15(id));
      if (i !== undefined) count(tallies.get(s)!, type, results[i], effect);
    }
  }
}

/** One record's result: counted (and its fields named) on success; a failure other than "already gone" fails the item. */
function count(tally: Tally, type: string, res: SaveResultRow | undefined, effect: Effect) {
  if (!res?.success) {
    if (!alreadyGone(res)) tally.error ??= classifyRecordError(res?.errors ?? []);
    return;
  }
  if (effect === 'flag') {
    for (const f of Object.keys(FORGET_FLAGS)) tally.fields.add(`${type}.${f}`);
    return;
  }
  tally.byType.set(type, (tally.byType.get(type) ?? 0) + 1);
  if (effect === 'mask') {
    const fields = MASKED_FIELDS[type as SalesforceTarget | 'Individual'] ?? {};
    for (const f of Object.keys(fields)) tally.fields.add(`${type}.${f}`);
  }
}

const okOf = (tallies: Map<Subject, Tally>, subjects: Subject[]) =>
  subjects.filter((s) => !tallies.get(s)!.error);
const unique = (ids: string[]) => [...new Map(ids.map((id) => [key15(id), id])).values()];
