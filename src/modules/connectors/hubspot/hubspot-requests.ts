import type { SimplePublicObject } from '@hubspot/api-client/lib/codegen/crm/contacts';
import {
  AuthExpiredError,
  type ConnectorError,
  type ErasureMode,
  type OperationEvidence,
  RateLimitedError,
  type RequestOutcome,
  type SubjectRef,
  TransientError,
} from '../connector.port';
import type { HubspotClient } from './hubspot.client';
import { HUBSPOT_BATCH_LIMIT } from './hubspot.constants';
import { HUBSPOT_RECORD_TYPE } from './hubspot.mapper';
import { HubspotPermanentError } from './hubspot.sdk';

/**
 * The building blocks of HubSpot's data-subject request operations (hubspot-request-operations.ts uses them):
 * reading a person's contacts, and the three ways of erasing them. Every id passed here is a contact that stands
 * for the person (a link, or a lookup hit verified by its stored phone or email).
 */

/** Why a request item was not applied. */
export const HUBSPOT_REQUEST_SKIPS = {
  missingIdentity: 'missing_identity',
  notFound: 'not_found_at_vendor',
} as const;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** An item with no record and nothing to look one up by. */
export function isAnonymous(item: SubjectRef): boolean {
  return item.remoteIds.length + item.phones.length + item.emails.length === 0;
}

/** A failure that stops the whole call (later requests would fail alike): rate limit, token, network, 5xx. */
export function stopsTheCall(error: ConnectorError): boolean {
  return (
    error instanceof RateLimitedError || error instanceof AuthExpiredError || error instanceof TransientError
  );
}

export function isGone(error: unknown): boolean {
  return error instanceof HubspotPermanentError && error.status === 404;
}

/**
 * The contacts among `ids` that exist (not archived, not deleted), with these properties, ≤100 a call. Ids HubSpot
 * reports as not found (207 OBJECT_NOT_FOUND) are simply absent from the answer.
 */
export async function readContacts(
  client: HubspotClient,
  ids: readonly string[],
  properties: readonly string[],
): Promise<Map<string, SimplePublicObject>> {
  const found = new Map<string, SimplePublicObject>();
  for (const part of chunk([...new Set(ids)], HUBSPOT_BATCH_LIMIT)) {
    const response = await client.call((c) =>
      c.crm.contacts.batchApi.read({
        inputs: part.map((id) => ({ id })),
        properties: [...properties],
        propertiesWithHistory: [],
      }),
    );
    for (const contact of response.results) found.set(contact.id, contact);
  }
  return found;
}

/** What one erasure did to one contact. */
export type EraseResult = 'erased' | 'already_gone' | ConnectorError;

/**
 * GDPR delete (`basicApi.purge`: POST /crm/v3/objects/contacts/gdpr-delete {objectId}), one contact a call: HubSpot
 * has no batch form. The record and its associations are removed for good and its email is blocklisted (reference
 * §3). A 404 means an earlier run (or someone at HubSpot) already deleted it: that is the goal reached. A failure
 * that stops the call (rate limit, token, network) stops the remaining ids with the same error: they are retried.
 */
export async function gdprDeleteContacts(
  client: HubspotClient,
  ids: readonly string[],
): Promise<Map<string, EraseResult>> {
  const results = new Map<string, EraseResult>();
  let stop: ConnectorError | null = null;
  for (const id of ids) {
    if (stop) {
      results.set(id, stop);
      continue;
    }
    try {
      await client.call((c) => c.crm.contacts.basicApi.purge({ objectId: id }));
      results.set(id, 'erased');
    } catch (error) {
      const e = error as ConnectorError;
      if (isGone(e)) results.set(id, 'already_gone');
      else {
        results.set(id, e);
        if (stopsTheCall(e)) stop = e;
      }
    }
  }
  return results;
}

/**
 * Archive (batch/archive, ≤100 a call; 204 for unknown ids too). HubSpot keeps archived contacts restorable for 90
 * days before removing them; `existing` tells which ids were there before (the rest were already gone).
 */
export async function archiveContacts(
  client: HubspotClient,
  ids: readonly string[],
  existing: ReadonlySet<string>,
): Promise<Map<string, EraseResult>> {
  const results = new Map<string, EraseResult>();
  const present = ids.filter((id) => existing.has(id));
  for (const id of ids) if (!existing.has(id)) results.set(id, 'already_gone');
  for (const part of chunk(present, HUBSPOT_BATCH_LIMIT)) {
    await client.call((c) => c.crm.contacts.batchApi.archive({ inputs: part.map((id) => ({ id })) }));
    for (const id of part) results.set(id, 'erased');
  }
  return results;
}

/** The outcome of one person's erasure from what happened to each of their contacts. */
export function erasureOutcome(
  item: SubjectRef,
  mode: ErasureMode,
  ids: readonly string[],
  results: ReadonlyMap<string, EraseResult>,
  fieldsAffected?: readonly string[],
): RequestOutcome {
  let erased = 0;
  let gone = 0;
  for (const id of ids) {
    const result = results.get(id);
    if (result === 'erased') erased++;
    else if (result === 'already_gone') gone++;
    else
      return {
        deliveryId: item.deliveryId,
        outcome: 'failed',
        error: result ?? new TransientError('No outcome was recorded for this contact'),
      };
  }
  const evidence: OperationEvidence = {
    erasure_mode_used: mode,
    record_type: HUBSPOT_RECORD_TYPE,
    records_erased: erased,
    records_already_gone: gone,
  };
  if (fieldsAffected) evidence.fields_affected = [...fieldsAffected];
  return {
    deliveryId: item.deliveryId,
    outcome: 'succeeded',
    // No `records`: an erased contact must not be linked to the person again (the push's remoteIds name them).
    vendorReference: null,
    evidence,
  };
}
