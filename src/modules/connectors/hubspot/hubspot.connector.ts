import {
  FilterOperatorEnum,
  type PublicObjectSearchRequest,
} from '@hubspot/api-client/lib/codegen/crm/contacts';
import {
  PropertyCreateFieldTypeEnum,
  PropertyCreateTypeEnum,
} from '@hubspot/api-client/lib/codegen/crm/properties';
import {
  type ConnectionContext,
  type Connector,
  type ConnectorDeps,
  type ConnectorError,
  type ConsentPush,
  PermanentError,
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
  HUBSPOT_SEARCH_IN_LIMIT,
  HUBSPOT_SEARCH_MAX_GROUPS,
  HUBSPOT_SEARCH_PAGE_SIZE,
  type HubspotPropertyDefinition,
} from './hubspot.constants';
import { HubspotClient, type HubspotClientOptions } from './hubspot.client';
import { fromHubspotContact, toHubspotEmailStatus, toHubspotProperties } from './hubspot.mapper';
import { HubspotPermanentError } from './hubspot.sdk';
import type { HubspotConsentProperties, HubspotEmailStatus, HubspotMapping } from './hubspot.types';

export type HubspotConnectorOptions = HubspotClientOptions;

/** Why an item was not applied (the delivery is marked skipped with this reason). */
export const HUBSPOT_SKIP_REASONS = {
  missingIdentity: 'missing_identity',
  notFound: 'not_found_at_vendor',
  nothingToApply: 'no_applicable_consent_state',
} as const;

interface Plan {
  item: ConsentPush;
  properties: HubspotConsentProperties | null;
  email: HubspotEmailStatus | null;
  contactIds: string[];
}

interface BatchError {
  category?: string;
  message?: string;
  context?: Record<string, string[] | undefined>;
}

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
export class HubspotConnector implements Connector {
  private readonly client: HubspotClient;

  constructor(
    private readonly context: ConnectionContext,
    deps: ConnectorDeps,
    options: HubspotConnectorOptions = {},
  ) {
    this.client = new HubspotClient(context, deps, options);
  }

  private get mapping(): Partial<HubspotMapping> {
    return this.context.mapping;
  }

  /** Phone properties searched: the ones setup found in this portal, else the default three. */
  private phoneProperties(): string[] {
    const mapped = strings(this.mapping.phoneProperties);
    const list = mapped && mapped.length > 0 ? mapped : [...HUBSPOT_PHONE_PROPERTIES];
    return list.slice(0, HUBSPOT_SEARCH_MAX_GROUPS);
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
    const account = await this.client.request<{ portalId?: number }>({
      method: 'GET',
      path: '/account-info/v3/details',
    });
    const mapping: HubspotMapping = {
      portalId: account?.portalId !== undefined ? String(account.portalId) : null,
      properties: HUBSPOT_PROPERTY_DEFINITIONS.map((d) => d.name),
      propertyGroup: HUBSPOT_PROPERTY_GROUP,
      phoneProperties,
      emailSubscriptionId: await this.findEmailSubscription(),
    };
    return { ...mapping };
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
      const e = error as ConnectorError;
      return { ok: false, detail: `${e.name}: ${e.message}` };
    }
  }

  // ------------------------------------------------------------------ backfill

  async listContacts(cursor: string | null, pageSize: number): Promise<RemotePage> {
    await this.client.begin();
    const limit = Math.min(HUBSPOT_LIST_LIMIT, Math.max(1, Math.floor(pageSize) || HUBSPOT_LIST_LIMIT));
    const properties = [...HUBSPOT_PHONE_PROPERTIES, 'email', ...Object.values(HUBSPOT_PROPERTIES)];
    const page = await this.client.call((c) =>
      c.crm.contacts.basicApi.getPage(limit, cursor ?? undefined, properties),
    );
    return {
      contacts: page.results.map((r) => fromHubspotContact(r)),
      next: page.paging?.next?.after ?? null,
    };
  }

  // ------------------------------------------------------------------ propagation

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

  private async pushBatch(items: ConsentPush[]): Promise<PushOutcome[]> {
    const outcomes: PushOutcome[] = [];
    const plans: Plan[] = [];
    const emailSubscriptionId = this.emailSubscriptionId();
    for (const item of items) {
      const properties = toHubspotProperties(item.states);
      const email = item.email && emailSubscriptionId ? toHubspotEmailStatus(item.states) : null;
      if (!properties && !email) {
        outcomes.push({
          deliveryId: item.deliveryId,
          outcome: 'skipped',
          reason: HUBSPOT_SKIP_REASONS.nothingToApply,
        });
      } else if (!item.remoteId && !item.phone) {
        outcomes.push({
          deliveryId: item.deliveryId,
          outcome: 'skipped',
          reason: HUBSPOT_SKIP_REASONS.missingIdentity,
        });
      } else {
        plans.push({ item, properties, email, contactIds: item.remoteId ? [item.remoteId] : [] });
      }
    }

    const phones = [...new Set(plans.filter((p) => !p.item.remoteId).map((p) => p.item.phone!))];
    const found = phones.length > 0 ? await this.findContactsByPhone(phones) : new Map<string, string[]>();
    const located: Plan[] = [];
    for (const plan of plans) {
      if (!plan.item.remoteId) plan.contactIds = found.get(plan.item.phone!) ?? [];
      if (plan.contactIds.length === 0) {
        outcomes.push({
          deliveryId: plan.item.deliveryId,
          outcome: 'skipped',
          reason: HUBSPOT_SKIP_REASONS.notFound,
        });
      } else {
        located.push(plan);
      }
    }

    const failures = await this.updateProperties(located);
    const emailFailures = await this.writeEmailStatuses(
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
        remoteId: plan.contactIds[0],
        // A person with several HubSpot contacts (duplicates sharing the phone) is written on all of them.
        vendorReference: plan.contactIds.join(','),
        pushed: plan.properties ? { ...plan.properties } : undefined,
      });
    }
    return outcomes;
  }

  /** Phone (E.164) → contact ids, with one search per 100 phones (each phone property an OR-ed group). */
  private async findContactsByPhone(phones: string[]): Promise<Map<string, string[]>> {
    const properties = this.phoneProperties();
    const found = new Map<string, Set<string>>();
    for (const values of chunk(phones, HUBSPOT_SEARCH_IN_LIMIT)) {
      const wanted = new Set(values);
      let after: string | undefined = '0';
      while (after !== undefined) {
        const request: PublicObjectSearchRequest = {
          filterGroups: properties.map((propertyName) => ({
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
          for (const name of properties) {
            const value = contact.properties[name]?.trim();
            if (!value || !wanted.has(value)) continue;
            const ids = found.get(value) ?? new Set<string>();
            ids.add(contact.id);
            found.set(value, ids);
          }
        }
        const next: string | undefined = page.paging?.next?.after;
        after = next;
      }
    }
    return new Map([...found].map(([phone, ids]) => [phone, [...ids]]));
  }

  /**
   * Writes the properties with batch/update (≤100 inputs a call). HubSpot refuses duplicate ids in one
   * batch, so when two items resolve to the same contact the later one goes in a second round (last wins).
   * Returns contact id → error for the ids HubSpot reported as failed (207).
   */
  private async updateProperties(plans: Plan[]): Promise<Map<string, ConnectorError>> {
    const rounds: Map<string, HubspotConsentProperties>[] = [];
    for (const plan of plans) {
      if (!plan.properties) continue;
      for (const id of plan.contactIds) {
        let round = rounds.find((r) => !r.has(id));
        if (!round) {
          round = new Map();
          rounds.push(round);
        }
        round.set(id, plan.properties);
      }
    }
    const failures = new Map<string, ConnectorError>();
    for (const round of rounds) {
      for (const inputs of chunk([...round], HUBSPOT_BATCH_LIMIT)) {
        const response = await this.client.call((c) =>
          c.crm.contacts.batchApi.update({ inputs: inputs.map(([id, properties]) => ({ id, properties })) }),
        );
        const errors = ('errors' in response ? (response.errors ?? []) : []) as BatchError[];
        for (const error of errors) {
          const failure = new PermanentError(
            `HubSpot ${error.category ?? 'error'}: ${error.message ?? 'batch update failed'}`,
          );
          for (const id of error.context?.ids ?? []) failures.set(id, failure);
        }
        const confirmed = new Set(response.results.map((r) => r.id));
        for (const [id] of inputs) {
          if (!confirmed.has(id) && !failures.has(id)) {
            failures.set(id, new TransientError(`HubSpot did not confirm the update of contact ${id}`));
          }
        }
      }
    }
    return failures;
  }

  /**
   * Email marketing subscription through v4 batch/write: it is idempotent (v3 refuses a repeated
   * unsubscribe with a 400) and can resubscribe (v3 cannot), which state-based pushes need. v4 supports
   * channel EMAIL only; WhatsApp stays in the properties. Returns deliveryId → error for refused items.
   */
  private async writeEmailStatuses(
    plans: Plan[],
    subscriptionId: string | null,
  ): Promise<Map<string, ConnectorError>> {
    const failures = new Map<string, ConnectorError>();
    if (!subscriptionId) return failures;
    for (const batch of chunk(plans, HUBSPOT_BATCH_LIMIT)) {
      const inputs = batch.map((p) => ({
        subscriberIdString: p.item.email!,
        channel: 'EMAIL',
        statusState: p.email!.statusState,
        subscriptionId: Number(subscriptionId),
        legalBasis: p.email!.legalBasis,
        legalBasisExplanation: p.email!.legalBasisExplanation,
      }));
      const body = await this.client.request<{ errors?: BatchError[] }>({
        method: 'POST',
        path: `${HUBSPOT_PREFERENCES_V4}/statuses/batch/write`,
        body: { inputs },
      });
      for (const error of body?.errors ?? []) {
        const refused = new Set((error.context?.emails ?? []).map((e) => e.toLowerCase()));
        for (const plan of batch) {
          if (refused.has(plan.item.email!.toLowerCase())) {
            failures.set(
              plan.item.deliveryId,
              new PermanentError(
                `HubSpot ${error.category ?? 'error'} (email subscription): ${error.message ?? 'refused'}`,
              ),
            );
          }
        }
      }
    }
    return failures;
  }
}
