import { type ConnectorError, type ConsentPush, PermanentError, TransientError } from '../connector.port';
import type { HubspotClient } from './hubspot.client';
import { HUBSPOT_BATCH_LIMIT, HUBSPOT_PREFERENCES_V4 } from './hubspot.constants';
import type { HubspotConsentProperties, HubspotEmailStatus } from './hubspot.types';

/** The writes of a push at HubSpot: contact properties (batch update) and email subscriptions (v4). */

/** One person's writes: the properties and email status to set, and the contacts that stand for them. */
export interface WritePlan {
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

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Writes the properties with batch/update (≤100 inputs a call). HubSpot refuses duplicate ids in one
 * batch, so when two items resolve to the same contact the later one goes in a second round (last wins).
 * Returns contact id → error for the ids HubSpot reported as failed (207).
 */
/**
 * A contact that no longer exists at HubSpot (deleted, or merged into another: its id is gone). A link to it is
 * stale; the person is looked up again rather than failing for ever.
 */
export class ContactGoneError extends PermanentError {}

export async function updateProperties(
  client: HubspotClient,
  plans: WritePlan[],
): Promise<Map<string, ConnectorError>> {
  const updates: [string, HubspotConsentProperties][] = [];
  for (const plan of plans) {
    if (!plan.properties) continue;
    for (const id of plan.contactIds) updates.push([id, plan.properties]);
  }
  return batchUpdateContacts(client, updates);
}

/**
 * Writes contact properties with batch/update (≤100 inputs a call). HubSpot refuses duplicate ids in one batch, so
 * an id given twice goes in a second round (last wins). Returns contact id → error for the ids HubSpot reported as
 * failed (207): OBJECT_NOT_FOUND as ContactGoneError, a per-input refusal (an email another contact has) as
 * permanent, an id HubSpot neither confirmed nor refused as transient.
 */
export async function batchUpdateContacts(
  client: HubspotClient,
  updates: readonly (readonly [string, Record<string, string>])[],
): Promise<Map<string, ConnectorError>> {
  const rounds: Map<string, Record<string, string>>[] = [];
  for (const [id, properties] of updates) {
    let round = rounds.find((r) => !r.has(id));
    if (!round) {
      round = new Map();
      rounds.push(round);
    }
    round.set(id, properties);
  }
  const failures = new Map<string, ConnectorError>();
  for (const round of rounds) {
    for (const inputs of chunk([...round], HUBSPOT_BATCH_LIMIT)) {
      const response = await client.call((c) =>
        c.crm.contacts.batchApi.update({ inputs: inputs.map(([id, properties]) => ({ id, properties })) }),
      );
      const errors = ('errors' in response ? (response.errors ?? []) : []) as BatchError[];
      for (const error of errors) {
        const message = `HubSpot ${error.category ?? 'error'}: ${error.message ?? 'batch update failed'}`;
        const failure =
          error.category === 'OBJECT_NOT_FOUND' ? new ContactGoneError(message) : new PermanentError(message);
        const byIndex = (error.context?.inputIndex ?? []).map((i) => inputs[Number(i)]?.[0]);
        for (const id of [...(error.context?.ids ?? []), ...byIndex]) if (id) failures.set(id, failure);
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
export async function writeEmailStatuses(
  client: HubspotClient,
  plans: WritePlan[],
  subscriptionId: string | null,
): Promise<Map<string, ConnectorError>> {
  const failures = new Map<string, ConnectorError>();
  if (!subscriptionId) return failures;
  for (const batch of chunk(plans, HUBSPOT_BATCH_LIMIT)) {
    const inputs = batch.map((p) => ({
      subscriberIdString: p.item.emails[0],
      channel: 'EMAIL',
      statusState: p.email!.statusState,
      subscriptionId: Number(subscriptionId),
      legalBasis: p.email!.legalBasis,
      legalBasisExplanation: p.email!.legalBasisExplanation,
    }));
    const body = await client.request<{ errors?: BatchError[] }>({
      method: 'POST',
      path: `${HUBSPOT_PREFERENCES_V4}/statuses/batch/write`,
      body: { inputs },
    });
    for (const error of body?.errors ?? []) {
      const refused = new Set((error.context?.emails ?? []).map((e) => e.toLowerCase()));
      for (const plan of batch) {
        if (refused.has(plan.item.emails[0].toLowerCase())) {
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
