import { normalisePhone, toCountry } from '../../ledger';
import type {
  AccessPull,
  ConnectorError,
  ErasurePush,
  RectificationPush,
  RemotePersonRecord,
  RequestOutcome,
  RestrictionPush,
  SubjectRef,
} from '../connector.port';
import type { HubspotClient } from './hubspot.client';
import {
  HUBSPOT_BATCH_LIMIT,
  HUBSPOT_PERSONAL_PROPERTIES,
  HUBSPOT_PROPERTIES,
  HUBSPOT_RECORD_TIME_PROPERTIES,
  HUBSPOT_RESTRICTED_PROPERTY,
} from './hubspot.constants';
import {
  HUBSPOT_COUNTRY_PROPERTY,
  HUBSPOT_RECORD_TYPE,
  toHubspotProperties,
  toHubspotRestrictedConsent,
} from './hubspot.mapper';
import {
  archiveContacts,
  chunk,
  type EraseResult,
  erasureOutcome,
  gdprDeleteContacts,
  HUBSPOT_REQUEST_SKIPS,
  isAnonymous,
  readContacts,
} from './hubspot-requests';
import { batchUpdateContacts, ContactGoneError } from './hubspot-writes';

/** Finds every contact of each person: their links, and the verified lookup by these phones and emails. */
export type LocateContacts = (
  wanted: { remoteIds: string[]; phones: string[]; emails: string[] }[],
) => Promise<string[][]>;

/** The gateway's own contact properties: read for an access request, blanked by mask_fields. */
const GATEWAY_PROPERTIES = [...Object.values(HUBSPOT_PROPERTIES), HUBSPOT_RESTRICTED_PROPERTY];

/**
 * HubSpot's side of data-subject requests (Art. 15-18). Each operation finds every contact of the person (their
 * links and the verified lookup, so duplicates are reached too), is idempotent (a contact already deleted, already
 * restricted or already rectified is a success), and keeps non-personal evidence only: what was done, how many
 * records, which fields, never a value.
 */
export class HubspotRequestOperations {
  constructor(
    private readonly client: HubspotClient,
    private readonly locate: LocateContacts,
    private readonly phoneProperties: () => string[],
    private readonly phoneRegion: string | null,
    /** Creates a gateway property missing in a portal set up before it existed (idempotent). */
    private readonly ensureRestrictedProperty: () => Promise<void>,
  ) {}

  /** Splits items into the skipped (nothing to find them by, or nothing found) and the located. */
  private async located<T extends SubjectRef>(
    items: readonly T[],
    lookup: (item: T) => { phones: string[]; emails: string[] } = (i) => i,
  ): Promise<{ outcomes: RequestOutcome[]; found: { item: T; ids: string[] }[] }> {
    const outcomes: RequestOutcome[] = [];
    const wanted = items.filter((item) => {
      if (!isAnonymous(item)) return true;
      outcomes.push({
        deliveryId: item.deliveryId,
        outcome: 'skipped',
        reason: HUBSPOT_REQUEST_SKIPS.missingIdentity,
      });
      return false;
    });
    const ids = await this.locate(wanted.map((item) => ({ remoteIds: item.remoteIds, ...lookup(item) })));
    const found: { item: T; ids: string[] }[] = [];
    wanted.forEach((item, i) => {
      if (ids[i].length > 0) found.push({ item, ids: ids[i] });
      else
        outcomes.push({
          deliveryId: item.deliveryId,
          outcome: 'skipped',
          reason: HUBSPOT_REQUEST_SKIPS.notFound,
        });
    });
    return { outcomes, found };
  }

  // ------------------------------------------------------------------ Art. 17

  /**
   * Erases every contact of each person by the item's mode: vendor_gdpr_delete (HubSpot's GDPR delete: gone for
   * good, email blocklisted), hard_delete (archive), mask_fields (every personal property blanked, the record kept).
   * A person whose linked contacts are all gone already is a success (records_already_gone): a retry after a crash
   * must not fail what the first run finished.
   */
  async erase(items: ErasurePush[]): Promise<RequestOutcome[]> {
    const outcomes: RequestOutcome[] = [];
    for (const batch of chunk(items, HUBSPOT_BATCH_LIMIT)) {
      const { outcomes: skipped, found } = await this.located(batch);
      outcomes.push(...skipped);
      for (const mode of ['vendor_gdpr_delete', 'hard_delete', 'mask_fields'] as const) {
        const ofMode = found.filter((f) => f.item.mode === mode);
        if (ofMode.length > 0) outcomes.push(...(await this.eraseByMode(mode, ofMode)));
      }
    }
    return outcomes;
  }

  private async eraseByMode(
    mode: ErasurePush['mode'],
    found: { item: ErasurePush; ids: string[] }[],
  ): Promise<RequestOutcome[]> {
    const ids = [...new Set(found.flatMap((f) => f.ids))];
    let results: Map<string, EraseResult>;
    let fields: string[] | undefined;
    if (mode === 'vendor_gdpr_delete') results = await gdprDeleteContacts(this.client, ids);
    else if (mode === 'hard_delete') {
      const existing = await readContacts(this.client, ids, []);
      results = await archiveContacts(this.client, ids, new Set(existing.keys()));
    } else ({ results, fields } = await this.mask(ids));
    return found.map((f) => erasureOutcome(f.item, mode, f.ids, results, fields));
  }

  /** Blanks every personal and gateway property the contacts hold (only those with a value: fewer echoes). */
  private async mask(ids: string[]): Promise<{ results: Map<string, EraseResult>; fields: string[] }> {
    const maskable = await this.writableProperties([...HUBSPOT_PERSONAL_PROPERTIES, ...GATEWAY_PROPERTIES]);
    const contacts = await readContacts(this.client, ids, maskable);
    const fields = new Set<string>();
    const updates: [string, Record<string, string>][] = [];
    for (const [id, contact] of contacts) {
      const blank: Record<string, string> = {};
      for (const name of maskable) {
        if (contact.properties[name]) {
          blank[name] = '';
          fields.add(name);
        }
      }
      if (Object.keys(blank).length > 0) updates.push([id, blank]);
    }
    const failures = await batchUpdateContacts(this.client, updates);
    const results = new Map<string, EraseResult>();
    for (const id of ids) {
      const failure = failures.get(id);
      if (!contacts.has(id) || failure instanceof ContactGoneError) results.set(id, 'already_gone');
      else results.set(id, failure ?? 'erased');
    }
    return { results, fields: [...fields].sort() };
  }

  /** Which of these properties the portal has and lets an integration write (calculated and read-only ones not). */
  private async writableProperties(names: readonly string[]): Promise<string[]> {
    const all = await this.client.call((c) => c.crm.properties.coreApi.getAll('contacts'));
    const writable = new Set(
      all.results
        .filter((p) => !p.calculated && p.modificationMetadata?.readOnlyValue !== true)
        .map((p) => p.name),
    );
    return names.filter((n) => writable.has(n));
  }

  // ------------------------------------------------------------------ Art. 18

  /**
   * Sets the restriction property on every contact of each person; while restricted, the WhatsApp consent property
   * also shows OPTED_OUT (unsubscribed: marketing tools that read it stop). Lifting sets the property false and
   * leaves the consent property to the person's next consent push.
   */
  async restrict(items: RestrictionPush[]): Promise<RequestOutcome[]> {
    await this.ensureRestrictedProperty();
    const outcomes: RequestOutcome[] = [];
    for (const batch of chunk(items, HUBSPOT_BATCH_LIMIT)) {
      const { outcomes: skipped, found } = await this.located(batch);
      outcomes.push(...skipped);
      const updates = found.flatMap(({ item, ids }) =>
        ids.map((id) => [id, restrictionProperties(item)] as [string, Record<string, string>]),
      );
      const failures = await batchUpdateContacts(this.client, updates);
      for (const { item, ids } of found) {
        outcomes.push(
          written(item, ids, failures, (n) => ({
            restricted: item.restricted,
            records_updated: n,
            record_type: HUBSPOT_RECORD_TYPE,
            fields_affected: Object.keys(restrictionProperties(item)).sort(),
          })),
        );
      }
    }
    return outcomes;
  }

  // ------------------------------------------------------------------ Art. 16

  /**
   * Finds the person's contacts by their links and by the previous identifiers (verified), and overwrites each phone
   * field that held a previous number (compared normalised, in the record's own country) and an email that was a
   * previous one, with the current values. A contact showing none of the previous values is already right.
   */
  async rectify(items: RectificationPush[]): Promise<RequestOutcome[]> {
    const outcomes: RequestOutcome[] = [];
    const phoneFields = this.phoneProperties();
    for (const batch of chunk(items, HUBSPOT_BATCH_LIMIT)) {
      const { outcomes: skipped, found } = await this.located(batch, (item) => ({
        phones: [...new Set([...item.previous.phones, ...item.phones])],
        emails: [...new Set([...item.previous.emails, ...item.emails])],
      }));
      outcomes.push(...skipped);
      const contacts = await readContacts(
        this.client,
        found.flatMap((f) => f.ids),
        [...phoneFields, 'email', HUBSPOT_COUNTRY_PROPERTY],
      );
      const plans = found.map(({ item, ids }) => {
        const present = ids.filter((id) => contacts.has(id));
        const changes = present.flatMap((id) => {
          const properties = rectifiedProperties(
            item,
            contacts.get(id)!.properties,
            phoneFields,
            this.phoneRegion,
          );
          return Object.keys(properties).length > 0
            ? [[id, properties] as [string, Record<string, string>]]
            : [];
        });
        return { item, present, changes };
      });
      const failures = await batchUpdateContacts(
        this.client,
        plans.flatMap((p) => p.changes),
      );
      for (const { item, present, changes } of plans) {
        if (present.length === 0) {
          outcomes.push({
            deliveryId: item.deliveryId,
            outcome: 'skipped',
            reason: HUBSPOT_REQUEST_SKIPS.notFound,
          });
          continue;
        }
        const fields = new Set(changes.flatMap(([, p]) => Object.keys(p)));
        outcomes.push(
          written(item, present, failures, () => ({
            records_checked: present.length,
            records_rectified: changes.filter(([id]) => !failures.has(id)).length,
            record_type: HUBSPOT_RECORD_TYPE,
            fields_affected: [...fields].sort(),
          })),
        );
      }
    }
    return outcomes;
  }

  // ------------------------------------------------------------------ Art. 15

  /** Every contact of each person with its personal properties, the gateway's ones and its record times. */
  async readPerson(items: AccessPull[]): Promise<RequestOutcome[]> {
    const outcomes: RequestOutcome[] = [];
    const properties = [
      ...HUBSPOT_PERSONAL_PROPERTIES,
      ...GATEWAY_PROPERTIES,
      ...HUBSPOT_RECORD_TIME_PROPERTIES,
    ];
    for (const batch of chunk(items, HUBSPOT_BATCH_LIMIT)) {
      const { outcomes: skipped, found } = await this.located(batch);
      outcomes.push(...skipped);
      const contacts = await readContacts(
        this.client,
        found.flatMap((f) => f.ids),
        properties,
      );
      for (const { item, ids } of found) {
        const data: RemotePersonRecord[] = ids.flatMap((id) => {
          const contact = contacts.get(id);
          if (!contact) return [];
          const fields: RemotePersonRecord['fields'] = {};
          for (const name of properties) {
            const value = contact.properties[name];
            if (value !== null && value !== undefined && value !== '') fields[name] = value;
          }
          return [{ remoteId: id, recordType: HUBSPOT_RECORD_TYPE, fields }];
        });
        if (data.length === 0) {
          outcomes.push({
            deliveryId: item.deliveryId,
            outcome: 'skipped',
            reason: HUBSPOT_REQUEST_SKIPS.notFound,
          });
          continue;
        }
        outcomes.push({
          deliveryId: item.deliveryId,
          outcome: 'succeeded',
          records: data.map((d) => ({ remoteId: d.remoteId, recordType: d.recordType })),
          vendorReference: null,
          evidence: {
            records_read: data.length,
            record_type: HUBSPOT_RECORD_TYPE,
            fields_read: [...new Set(data.flatMap((d) => Object.keys(d.fields)))].sort(),
          },
          data,
        });
      }
    }
    return outcomes;
  }
}

/**
 * While restricted the consent property shows the restriction; lifting it restores the consent in force that the
 * restriction covered up (left as it is when the ledger holds none).
 */
function restrictionProperties(item: RestrictionPush): Record<string, string> {
  if (!item.restricted)
    return { [HUBSPOT_RESTRICTED_PROPERTY]: 'false', ...(toHubspotProperties(item.states) ?? {}) };
  return { [HUBSPOT_RESTRICTED_PROPERTY]: 'true', ...toHubspotRestrictedConsent() };
}

/** The outcome of writes to a person's contacts: failed by the first failure (a gone contact is not one). */
function written(
  item: SubjectRef,
  ids: readonly string[],
  failures: ReadonlyMap<string, ConnectorError>,
  evidence: (written: number) => Record<string, string | number | boolean | string[]>,
): RequestOutcome {
  const live = ids.filter((id) => !(failures.get(id) instanceof ContactGoneError));
  const failure = live.map((id) => failures.get(id)).find((e) => e !== undefined);
  if (failure) return { deliveryId: item.deliveryId, outcome: 'failed', error: failure };
  if (live.length === 0)
    return { deliveryId: item.deliveryId, outcome: 'skipped', reason: HUBSPOT_REQUEST_SKIPS.notFound };
  return {
    deliveryId: item.deliveryId,
    outcome: 'succeeded',
    records: live.map((remoteId) => ({ remoteId, recordType: HUBSPOT_RECORD_TYPE })),
    vendorReference: null,
    evidence: evidence(live.length),
  };
}

/** The corrected values for one contact: only fields that hold one of the replaced identifiers. */
export function rectifiedProperties(
  item: Pick<RectificationPush, 'previous' | 'current'>,
  stored: Record<string, string | null | undefined>,
  phoneFields: readonly string[],
  phoneRegion: string | null,
): Record<string, string> {
  const replacedPhones = new Set(item.previous.phones.filter((p) => !item.current.phones.includes(p)));
  const newPhone = item.current.phones.find((p) => !item.previous.phones.includes(p)) ?? '';
  const replacedEmails = new Set(
    item.previous.emails.map((e) => e.toLowerCase()).filter((e) => !item.current.emails.includes(e)),
  );
  const newEmail = item.current.emails.find((e) => !item.previous.emails.includes(e)) ?? '';
  const country = stored[HUBSPOT_COUNTRY_PROPERTY]?.trim();
  const region = (country ? toCountry(country) : null) ?? phoneRegion;
  const out: Record<string, string> = {};
  for (const field of phoneFields) {
    const value = stored[field];
    const e164 = value ? normalisePhone(value, region) : null;
    // A number removed without a replacement is blanked: an inaccurate number must not stay.
    if (e164 && replacedPhones.has(e164)) out[field] = newPhone;
  }
  const email = stored.email?.trim().toLowerCase();
  if (email && replacedEmails.has(email)) out.email = newEmail;
  return out;
}
