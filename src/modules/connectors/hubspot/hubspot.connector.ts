import {
  type AccessPull,
  type ErasurePush,
  type RectificationPush,
  type RequestOutcome,
  type RestrictionPush,
} from '../connector.port';
import { testFailure } from '../test-outcome';
import {
  FilterOperatorEnum,
  type PublicObjectSearchRequest,
} from '@hubspot/api-client/lib/codegen/crm/contacts';
import {
  PropertyCreateFieldTypeEnum,
  PropertyCreateTypeEnum,
} from '@hubspot/api-client/lib/codegen/crm/properties';
import {
  type ChangeBatch,
  type ChangePoller,
  type ConnectionContext,
  type Connector,
  type ConnectorDeps,
  type ConsentPush,
  type PushOutcome,
  type RemotePage,
  type TestResult,
  TransientError,
} from '../connector.port';
import {
  HUBSPOT_BATCH_LIMIT,
  HUBSPOT_LIST_LIMIT,
  HUBSPOT_PHONE_PROPERTIES,
  HUBSPOT_PREFERENCES_V4,
  HUBSPOT_PROPERTIES,
  HUBSPOT_PROPERTY_DEFINITIONS,
  HUBSPOT_PROPERTY_GROUP,
  HUBSPOT_RESTRICTED_DEFINITION,
  HUBSPOT_SEARCH_PAGE_SIZE,
  type HubspotPropertyDefinition,
} from './hubspot.constants';
import { HubspotClient, type HubspotClientOptions } from './hubspot.client';
import { type ChangeSearch, pollHubspotChanges } from './hubspot-changes';
import {
  CandidateIndex,
  lookupFilters,
  lookupProperties,
  type LookupWanted,
  packFilters,
} from './hubspot-lookup';
import {
  fromHubspotContact,
  HUBSPOT_MODIFIED_PROPERTY,
  HUBSPOT_RECORD_TYPE,
  toHubspotEmailStatus,
  toHubspotProperties,
  toHubspotRestrictedConsent,
} from './hubspot.mapper';
import { HubspotPermanentError } from './hubspot.sdk';
import { HubspotRequestOperations } from './hubspot-request-operations';
import { ContactGoneError, updateProperties, type WritePlan, writeEmailStatuses } from './hubspot-writes';
import type { HubspotMapping } from './hubspot.types';

export type HubspotConnectorOptions = HubspotClientOptions;

/** Why an item was not applied (the delivery is marked skipped with this reason). */
export const HUBSPOT_SKIP_REASONS = {
  missingIdentity: 'missing_identity',
  notFound: 'not_found_at_vendor',
  nothingToApply: 'no_applicable_consent_state',
} as const;

interface V4Definition {
  id?: string | number;
  purpose?: string;
  isActive?: boolean;
  isDefault?: boolean;
  isInternal?: boolean;
  communicationMethod?: string;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function strings(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;
  return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
}

function isNotFound(error: unknown): boolean {
  return error instanceof HubspotPermanentError && error.status === 404;
}

/**
 * HubSpot, as the gateway's Connector. WhatsApp marketing consent is written to custom contact
 * properties (HubSpot has no API for WhatsApp subscriptions); email marketing consent, when the ledger
 * has one and the email is known, to the email subscription through communication preferences v4.
 */
export class HubspotConnector implements Connector, ChangePoller {
  /** A change names a HubSpot contact. */
  readonly changeRecordKind = HUBSPOT_RECORD_TYPE;
  private readonly client: HubspotClient;

  constructor(
    private readonly context: ConnectionContext,
    deps: ConnectorDeps,
    private readonly options: HubspotConnectorOptions = {},
  ) {
    this.client = new HubspotClient(context, deps, options);
  }

  private get mapping(): Partial<HubspotMapping> {
    return this.context.mapping;
  }

  /** Phone properties searched: the ones setup found in this portal, else the default three. */
  private phoneProperties(): string[] {
    const mapped = strings(this.mapping.phoneProperties);
    return mapped && mapped.length > 0 ? mapped : [...HUBSPOT_PHONE_PROPERTIES];
  }

  private emailSubscriptionId(): string | null {
    const id = this.mapping.emailSubscriptionId;
    return typeof id === 'string' && id.length > 0 ? id : null;
  }

  // ------------------------------------------------------------------ setup and test

  async ensureSetup(): Promise<Record<string, unknown>> {
    await this.client.begin();
    for (const definition of HUBSPOT_PROPERTY_DEFINITIONS) await this.ensureProperty(definition);
    const phoneProperties: string[] = [];
    for (const name of HUBSPOT_PHONE_PROPERTIES) {
      if (await this.propertyExists(name)) phoneProperties.push(name);
    }
    // The portal id links HubSpot's webhooks (which name the portal) to this connection.
    const mapping: HubspotMapping = {
      portalId: await this.accountId(),
      properties: HUBSPOT_PROPERTY_DEFINITIONS.map((d) => d.name),
      propertyGroup: HUBSPOT_PROPERTY_GROUP,
      phoneProperties,
      emailSubscriptionId: await this.findEmailSubscription(),
    };
    return { ...mapping };
  }

  /** The portal (hub) id the token reaches: the account details (reference §6), for OAuth and private-app tokens alike. */
  async accountId(): Promise<string | null> {
    await this.client.begin();
    const account = await this.client.request<{ portalId?: number }>({
      method: 'GET',
      path: '/account-info/v3/details',
    });
    return account?.portalId !== undefined && account.portalId !== null ? String(account.portalId) : null;
  }

  /** CRM search answers every query with its `total`: one result asked for, the count of every contact. */
  async countContacts(): Promise<number | null> {
    await this.client.begin();
    const request: PublicObjectSearchRequest = {
      filterGroups: [],
      properties: [],
      limit: 1,
      after: '0',
      sorts: [],
    };
    const page = await this.client.call((c) => c.crm.contacts.searchApi.doSearch(request), { search: true });
    return typeof page.total === 'number' ? page.total : null;
  }

  private async propertyExists(name: string): Promise<boolean> {
    try {
      await this.client.call((c) => c.crm.properties.coreApi.getByName('contacts', name));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private async ensureProperty(definition: HubspotPropertyDefinition): Promise<void> {
    if (await this.propertyExists(definition.name)) return;
    try {
      await this.client.call((c) =>
        c.crm.properties.coreApi.create('contacts', {
          name: definition.name,
          label: definition.label,
          description: definition.description,
          groupName: HUBSPOT_PROPERTY_GROUP,
          type: definition.type as PropertyCreateTypeEnum,
          fieldType: definition.fieldType as PropertyCreateFieldTypeEnum,
          options: definition.options?.map((o) => ({ ...o, hidden: false })),
          formField: false,
        }),
      );
    } catch (error) {
      // Created meanwhile by another setup run: what we wanted.
      if (error instanceof HubspotPermanentError && error.status === 409) return;
      throw error;
    }
  }

  /** The email marketing subscription type; null without the communication-preferences scope. */
  private async findEmailSubscription(): Promise<string | null> {
    let body: { results?: V4Definition[] } | null;
    try {
      body = await this.client.request<{ results?: V4Definition[] }>({
        method: 'GET',
        path: `${HUBSPOT_PREFERENCES_V4}/definitions`,
      });
    } catch (error) {
      if (error instanceof HubspotPermanentError) return null;
      throw error;
    }
    const usable = (body?.results ?? []).filter(
      (d) =>
        d.isActive !== false &&
        !d.isInternal &&
        (!d.communicationMethod || d.communicationMethod.toLowerCase() === 'email'),
    );
    const marketing = usable.filter((d) => d.purpose?.toLowerCase() === 'marketing');
    const chosen = marketing.find((d) => d.isDefault) ?? marketing[0] ?? usable.find((d) => d.isDefault);
    return chosen?.id === undefined ? null : String(chosen.id);
  }

  async test(): Promise<TestResult> {
    try {
      await this.client.begin();
      await this.client.call((c) =>
        c.crm.properties.coreApi.getByName('contacts', HUBSPOT_PROPERTIES.consent),
      );
      return { ok: true, detail: 'Connected; the consent properties exist.' };
    } catch (error) {
      if (isNotFound(error)) {
        return { ok: true, detail: 'Connected, but the consent properties are missing: run setup.' };
      }
      return testFailure(error);
    }
  }

  // ------------------------------------------------------------------ backfill

  async listContacts(cursor: string | null, pageSize: number): Promise<RemotePage> {
    await this.client.begin();
    const limit = Math.min(HUBSPOT_LIST_LIMIT, Math.max(1, Math.floor(pageSize) || HUBSPOT_LIST_LIMIT));
    const properties = [...lookupProperties(HUBSPOT_PHONE_PROPERTIES), ...Object.values(HUBSPOT_PROPERTIES)];
    const page = await this.client.call((c) =>
      c.crm.contacts.basicApi.getPage(limit, cursor ?? undefined, properties),
    );
    return {
      contacts: page.results.map((r) => fromHubspotContact(r)),
      next: page.paging?.next?.after ?? null,
    };
  }

  // ------------------------------------------------------------------ propagation

  // ------------------------------------------------------------------ data-subject requests

  private requests(): HubspotRequestOperations {
    return new HubspotRequestOperations(
      this.client,
      (wanted) => this.locateContacts(wanted),
      () => this.phoneProperties(),
      this.context.phoneRegion,
      () => this.ensureProperty(HUBSPOT_RESTRICTED_DEFINITION),
    );
  }

  async erase(items: ErasurePush[]): Promise<RequestOutcome[]> {
    await this.client.begin();
    return inOrder(items, await this.requests().erase(items));
  }

  async restrict(items: RestrictionPush[]): Promise<RequestOutcome[]> {
    await this.client.begin();
    return inOrder(items, await this.requests().restrict(items));
  }

  async rectify(items: RectificationPush[]): Promise<RequestOutcome[]> {
    await this.client.begin();
    return inOrder(items, await this.requests().rectify(items));
  }

  async readPerson(items: AccessPull[]): Promise<RequestOutcome[]> {
    await this.client.begin();
    return inOrder(items, await this.requests().readPerson(items));
  }

  /**
   * Every contact of each person: their links, and every contact the verified lookup finds by their phones and
   * emails (duplicates, records not linked yet), in one set of searches for all of them.
   */
  private async locateContacts(
    wanted: { remoteIds: string[]; phones: string[]; emails: string[] }[],
  ): Promise<string[][]> {
    const searchable = wanted.some((w) => w.phones.length + w.emails.length > 0);
    const index = searchable
      ? await this.findCandidates({
          phones: wanted.flatMap((w) => w.phones),
          emails: wanted.flatMap((w) => w.emails.map((e) => e.toLowerCase())),
        })
      : null;
    return wanted.map((w) => [
      ...new Set([...w.remoteIds, ...(index ? index.recordsOf(w.phones, w.emails) : [])]),
    ]);
  }

  /**
   * Applies each person's current state, 100 at a time: one search (IN on every phone property) finds
   * the contacts of the items that have no record id yet, one batch update writes the properties, and,
   * for email consent, one v4 batch write sets the email subscription. Per-item failures (207) come back
   * as `failed`; a failure of a whole call throws, classified.
   */
  async pushConsent(items: ConsentPush[]): Promise<PushOutcome[]> {
    await this.client.begin();
    const outcomes = new Map<string, PushOutcome>();
    for (const batch of chunk(items, HUBSPOT_BATCH_LIMIT)) {
      for (const outcome of await this.pushBatch(batch)) outcomes.set(outcome.deliveryId, outcome);
    }
    return items.map(
      (item) =>
        outcomes.get(item.deliveryId) ?? {
          deliveryId: item.deliveryId,
          outcome: 'failed',
          error: new TransientError('No outcome was recorded for this item'),
        },
    );
  }

  private async pushBatch(items: ConsentPush[], relookup = true): Promise<PushOutcome[]> {
    const outcomes: PushOutcome[] = [];
    const plans: WritePlan[] = [];
    const emailSubscriptionId = this.emailSubscriptionId();
    for (const item of items) {
      // A restricted person's contacts keep showing the restriction, whatever consent change is pushed meanwhile.
      const properties = item.restricted ? toHubspotRestrictedConsent() : toHubspotProperties(item.states);
      const email = item.emails[0] && emailSubscriptionId ? toHubspotEmailStatus(item.states) : null;
      const skip = !properties && !email ? HUBSPOT_SKIP_REASONS.nothingToApply : null;
      const anonymous = item.remoteIds.length + item.phones.length + item.emails.length === 0;
      if (skip || anonymous) {
        outcomes.push({
          deliveryId: item.deliveryId,
          outcome: 'skipped',
          reason: skip ?? HUBSPOT_SKIP_REASONS.missingIdentity,
        });
      } else {
        plans.push({ item, properties, email, contactIds: [...new Set(item.remoteIds)] });
      }
    }

    // Linked records are used as they are; only people without any are looked up.
    const unlinked = plans.filter((p) => p.contactIds.length === 0);
    if (unlinked.length > 0) {
      const index = await this.findCandidates({
        phones: unlinked.flatMap((p) => p.item.phones),
        emails: unlinked.flatMap((p) => p.item.emails.map((e) => e.toLowerCase())),
      });
      for (const plan of unlinked) plan.contactIds = index.recordsOf(plan.item.phones, plan.item.emails);
    }
    const located: WritePlan[] = [];
    for (const plan of plans) {
      if (plan.contactIds.length > 0) located.push(plan);
      else
        outcomes.push({
          deliveryId: plan.item.deliveryId,
          outcome: 'skipped',
          reason: HUBSPOT_SKIP_REASONS.notFound,
        });
    }

    const failures = await updateProperties(this.client, located);
    // Linked contacts HubSpot no longer has (deleted, or merged into another) are dropped; a person left with none
    // is looked up again, once, as if never linked (a merged contact's survivor holds the same phone).
    const stale: ConsentPush[] = [];
    for (const plan of [...located]) {
      const gone = plan.contactIds.filter((id) => failures.get(id) instanceof ContactGoneError);
      if (gone.length === 0) continue;
      plan.contactIds = plan.contactIds.filter((id) => !gone.includes(id));
      if (plan.contactIds.length > 0) continue;
      located.splice(located.indexOf(plan), 1);
      if (relookup) stale.push({ ...plan.item, remoteIds: [] });
      else
        outcomes.push({
          deliveryId: plan.item.deliveryId,
          outcome: 'skipped',
          reason: HUBSPOT_SKIP_REASONS.notFound,
        });
    }
    if (stale.length > 0) outcomes.push(...(await this.pushBatch(stale, false)));
    const emailFailures = await writeEmailStatuses(
      this.client,
      located.filter((p) => p.email && !p.contactIds.some((id) => failures.has(id))),
      emailSubscriptionId,
    );

    for (const plan of located) {
      const error =
        plan.contactIds.map((id) => failures.get(id)).find((e) => e !== undefined) ??
        emailFailures.get(plan.item.deliveryId);
      if (error) {
        outcomes.push({ deliveryId: plan.item.deliveryId, outcome: 'failed', error });
        continue;
      }
      outcomes.push({
        deliveryId: plan.item.deliveryId,
        outcome: 'succeeded',
        // A person with several HubSpot contacts (duplicates sharing a phone or email) is written on all.
        records: plan.contactIds.map((remoteId) => ({ remoteId, recordType: HUBSPOT_RECORD_TYPE })),
        vendorReference: plan.contactIds.join(','),
        pushed: plan.properties ? { ...plan.properties } : undefined,
      });
    }
    return outcomes;
  }

  /**
   * Searches the candidates for these phones and emails (calculated and raw phone properties, email; as many
   * searches as HubSpot's filter limits need) and indexes each by what it verifiably holds.
   */
  private async findCandidates(wanted: LookupWanted): Promise<CandidateIndex> {
    const raw = this.phoneProperties();
    const properties = lookupProperties(raw);
    const index = new CandidateIndex(raw, this.context.phoneRegion);
    const seen = new Set<string>();
    for (const filters of packFilters(lookupFilters(wanted, raw))) {
      let after: string | undefined = '0';
      while (after !== undefined) {
        const request: PublicObjectSearchRequest = {
          filterGroups: filters.map(({ propertyName, values }) => ({
            filters: [{ propertyName, operator: FilterOperatorEnum.In, values }],
          })),
          properties,
          limit: HUBSPOT_SEARCH_PAGE_SIZE,
          after,
          sorts: [],
        };
        const page = await this.client.call((c) => c.crm.contacts.searchApi.doSearch(request), {
          search: true,
        });
        for (const contact of page.results) {
          if (seen.has(contact.id)) continue;
          seen.add(contact.id);
          index.add(contact);
        }
        after = page.paging?.next?.after;
      }
    }
    return index;
  }

  // ------------------------------------------------------------------ change poll

  /**
   * Contacts changed at HubSpot since the cursor (hubspot-changes.ts). A null cursor starts from now: the
   * backfill imports history.
   */
  async pollChanges(cursor: string | null): Promise<ChangeBatch> {
    await this.client.begin();
    const properties = [
      ...new Set([...this.phoneProperties(), ...lookupProperties([]), ...Object.values(HUBSPOT_PROPERTIES)]),
    ];
    const search: ChangeSearch = async ({ sinceMs, after, limit }) => {
      const request: PublicObjectSearchRequest = {
        filterGroups: [
          {
            filters: [
              {
                propertyName: HUBSPOT_MODIFIED_PROPERTY,
                operator: FilterOperatorEnum.Gte,
                value: String(sinceMs),
              },
            ],
          },
        ],
        properties,
        limit,
        after: String(after),
        // HubSpot documents sorts as {propertyName, direction} objects; the SDK types them as strings.
        sorts: [{ propertyName: HUBSPOT_MODIFIED_PROPERTY, direction: 'ASCENDING' }] as unknown as string[],
      };
      return this.client.call((c) => c.crm.contacts.searchApi.doSearch(request), { search: true });
    };
    return pollHubspotChanges(search, cursor, (this.options.now ?? Date.now)());
  }
}

/** One outcome per item, in the items' order (an item nothing answered for fails transient: it is retried). */
function inOrder(items: readonly { deliveryId: string }[], outcomes: RequestOutcome[]): RequestOutcome[] {
  const byId = new Map(outcomes.map((o) => [o.deliveryId, o]));
  return items.map(
    (item) =>
      byId.get(item.deliveryId) ?? {
        deliveryId: item.deliveryId,
        outcome: 'failed',
        error: new TransientError('No outcome was recorded for this item'),
      },
  );
}
