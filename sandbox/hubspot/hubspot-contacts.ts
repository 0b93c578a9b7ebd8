import {
  asRecord,
  conflict,
  notFound,
  optNumber,
  optString,
  propertyValue,
  reqString,
  validationError,
  type SimResponse,
} from './hubspot-http';
import { calculatedPhoneValues, isCalculatedPhoneProperty } from './hubspot-phone';
import type { ContactRecord, PortalState } from './hubspot-state';
import type { WebhookEventInput } from './hubspot-webhooks';

/**
 * CRM contacts (basic API, list, GDPR delete) and the record helpers search and batch share, as
 * `/crm/v3/objects/contacts/*` answers them (shapes per the 13.5.0 SDK models and the reference). Every
 * property keeps exactly the string written (reference §3 "Phones are stored as typed"); only the calculated
 * `hs_searchable_calculated_*` phone properties are derived (hubspot-phone.ts).
 */

export interface CrmContext {
  portal: PortalState;
  nowIso: () => string;
  query: URLSearchParams;
  body: unknown;
  /** Records a webhook event produced by this request. */
  emit: (event: WebhookEventInput) => void;
  /** changeSource/sourceId for propertyChange events caused by this request. */
  changeSource: { changeSource: string; sourceId: string };
  /** The simulator clock (ms epoch); defaults to `Date.parse(nowIso())`. */
  nowMs?: () => number;
  /** Search does not see contacts written less than this long ago (the index lags writes); default 0. */
  searchLagMs?: number;
}

export const LIST_LIMIT = 100;

const DEFAULT_PROPERTIES = [
  'createdate',
  'email',
  'firstname',
  'hs_object_id',
  'lastmodifieddate',
  'lastname',
];
const ALWAYS_PROPERTIES = ['createdate', 'hs_object_id', 'lastmodifieddate'];

// ---------------------------------------------------------------- values and serialisation

export function contactValue(portal: PortalState, contact: ContactRecord, name: string): string | null {
  if (isCalculatedPhoneProperty(name)) {
    return calculatedPhoneValues(contact, portal.defaultCountry)[name] ?? null;
  }
  switch (name) {
    case 'hs_object_id':
      return contact.id;
    case 'createdate':
      return contact.createdAt;
    case 'lastmodifieddate':
      return contact.updatedAt;
    default:
      return contact.properties[name] ?? null;
  }
}

/**
 * SimplePublicObject: requested properties come back as `null` when empty; `hs_object_id`, `createdate`
 * and `lastmodifieddate` always; the six defaults when nothing was requested.
 */
export function serializeContact(
  portal: PortalState,
  contact: ContactRecord,
  requested?: string[],
): Record<string, unknown> {
  const names = requested && requested.length > 0 ? [...requested, ...ALWAYS_PROPERTIES] : DEFAULT_PROPERTIES;
  const properties: Record<string, string | null> = {};
  for (const name of names) properties[name] = contactValue(portal, contact, name);
  const out: Record<string, unknown> = {
    id: contact.id,
    properties,
    createdAt: contact.createdAt,
    updatedAt: contact.updatedAt,
    archived: contact.archived,
  };
  if (contact.archivedAt) out.archivedAt = contact.archivedAt;
  return out;
}

/** `properties` arrives repeated (`?properties=a&properties=b`, as the SDK sends it) or comma-joined. */
export function queryList(query: URLSearchParams, name: string): string[] | undefined {
  const values = query.getAll(name);
  if (values.length === 0) return undefined;
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export function bodyList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((v) => optString(v)).filter((v): v is string => !!v);
}

// ---------------------------------------------------------------- writes

function propertyErrors(portal: PortalState, input: Record<string, unknown>, internal: boolean) {
  const errors: Record<string, unknown>[] = [];
  const values: Record<string, string | null> = {};
  for (const [name, raw] of Object.entries(input)) {
    const def = portal.properties.get(name);
    const value = propertyValue(raw);
    const fail = (error: string, message: string) =>
      errors.push({
        isValid: false,
        message,
        error,
        name,
        localizedErrorMessage: message,
        portalId: portal.portalId,
      });
    if (!def) {
      fail('PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`);
      continue;
    }
    if (def.readOnly && !internal) {
      fail('READ_ONLY_VALUE', `${name} is a read only property; its value cannot be set.`);
      continue;
    }
    if (value !== null && value !== '') {
      if (def.type === 'enumeration' && def.fieldType !== 'checkbox') {
        if (!def.options.some((o) => o.value === value)) {
          fail(
            'INVALID_OPTION',
            `${value} was not one of the allowed options: [${def.options.map((o) => o.value).join(', ')}]`,
          );
          continue;
        }
      }
      // HubSpot's boolean properties take "true" / "false" (stricter reading: nothing else is coerced).
      if (def.type === 'bool' && value !== 'true' && value !== 'false') {
        fail('INVALID_BOOLEAN', `${value} is not a valid boolean value; use true or false`);
        continue;
      }
      if (name === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
        fail('INVALID_EMAIL', `Email address ${value} is invalid`);
        continue;
      }
      if (def.type === 'number' && !Number.isFinite(Number(value))) {
        fail('INVALID_INTEGER', `${value} is not a valid number`);
        continue;
      }
    }
    values[name] = value;
  }
  return { errors, values };
}

/** Validates a `properties` map as HubSpot does: one 400 listing every invalid value. */
export function validateProperties(
  portal: PortalState,
  input: unknown,
  internal = false,
): Record<string, string | null> {
  const record = input === undefined ? {} : asRecord(input, 'properties');
  const { errors, values } = propertyErrors(portal, record, internal);
  if (errors.length > 0) {
    throw validationError(`Property values were not valid: ${JSON.stringify(errors)}`, { errors: [] });
  }
  return values;
}

/** GDPR-deleted emails are blocklisted: they cannot be used again. */
export function assertEmailAllowed(portal: PortalState, email: string | null | undefined) {
  if (!email || !portal.gdprBlocklist.has(email.toLowerCase())) return;
  // HubSpot's exact API response to re-adding one is unconfirmed. The address stays out of the message:
  // error texts end up in logs.
  throw validationError(
    'Cannot use this email address: it belongs to a contact that was permanently deleted (GDPR) and is blocked.',
  );
}

/** The id of another contact that already has this email (case-insensitive), if any. */
export function emailOwner(
  portal: PortalState,
  email: string | null | undefined,
  selfId?: string,
): string | undefined {
  if (!email) return undefined;
  const existing = portal.emailIndex.get(email.toLowerCase());
  return existing && existing !== selfId ? existing : undefined;
}

/**
 * HubSpot's email uniqueness: 409 CONFLICT `Contact already exists. Existing ID: <id>`. Phones are not
 * unique: several contacts may share one (duplicates are normal in real portals).
 */
export function assertEmailFree(portal: PortalState, email: string | null | undefined, selfId?: string) {
  assertEmailAllowed(portal, email);
  const existing = emailOwner(portal, email, selfId);
  if (existing) throw conflict(`Contact already exists. Existing ID: ${existing}`);
}

export function createContactRecord(
  portal: PortalState,
  values: Record<string, string | null>,
  nowIso: string,
): ContactRecord {
  const id = String(portal.nextContactId++);
  const properties: Record<string, string> = {};
  // Stored exactly as written: no trimming, no case folding, no phone formatting (reference §3).
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== '') properties[k] = v;
  const contact: ContactRecord = { id, properties, createdAt: nowIso, updatedAt: nowIso, archived: false };
  portal.contacts.set(id, contact);
  if (properties.email) portal.emailIndex.set(properties.email.toLowerCase(), id);
  portal.sortedIds = null;
  return contact;
}

/**
 * Applies already-validated values; emits `contact.propertyChange` for every value that changed. Every
 * write moves `lastmodifieddate`/`updatedAt`, even one that changes nothing (the stricter reading for
 * pollers: a cursor on `lastmodifieddate` sees every write).
 */
export function applyProperties(
  ctx: CrmContext,
  contact: ContactRecord,
  values: Record<string, string | null>,
) {
  for (const [name, raw] of Object.entries(values)) {
    const value = raw === null || raw === '' ? undefined : raw;
    const before = contact.properties[name];
    if (before === value) continue;
    if (name === 'email') {
      if (before) ctx.portal.emailIndex.delete(before.toLowerCase());
      if (value) ctx.portal.emailIndex.set(value.toLowerCase(), contact.id);
    }
    if (value === undefined) delete contact.properties[name];
    else contact.properties[name] = value;
    ctx.emit({
      subscriptionType: 'contact.propertyChange',
      objectId: Number(contact.id),
      propertyName: name,
      propertyValue: value ?? '',
      ...ctx.changeSource,
    });
  }
  contact.updatedAt = ctx.nowIso();
}

// ---------------------------------------------------------------- lookups

export function findContact(portal: PortalState, id: string, idProperty?: string, archived = false) {
  let contact: ContactRecord | undefined;
  if (!idProperty || idProperty === 'hs_object_id') contact = portal.contacts.get(id);
  else if (idProperty === 'email') {
    const found = portal.emailIndex.get(id.toLowerCase());
    contact = found ? portal.contacts.get(found) : undefined;
  } else {
    const def = portal.properties.get(idProperty);
    if (!def) throw validationError(`Property "${idProperty}" does not exist`);
    if (!def.hasUniqueValue) throw validationError(`${idProperty} is not a unique property`);
    for (const c of portal.contacts.values()) if (c.properties[idProperty] === id) contact = c;
  }
  if (contact && contact.archived !== archived) return undefined;
  return contact;
}

function requireContact(ctx: CrmContext, id: string, idProperty?: string) {
  const archived = ctx.query.get('archived') === 'true';
  const contact = findContact(ctx.portal, id, idProperty, archived);
  if (!contact) throw notFound();
  return contact;
}

// ---------------------------------------------------------------- basic API

export function getContact(ctx: CrmContext, id: string): SimResponse {
  const contact = requireContact(ctx, id, ctx.query.get('idProperty') ?? undefined);
  return { status: 200, body: serializeContact(ctx.portal, contact, queryList(ctx.query, 'properties')) };
}

export function createContact(ctx: CrmContext): SimResponse {
  const body = asRecord(ctx.body, 'body');
  const values = validateProperties(ctx.portal, body.properties);
  assertEmailFree(ctx.portal, values.email);
  const contact = createContactRecord(ctx.portal, values, ctx.nowIso());
  ctx.emit({ subscriptionType: 'contact.creation', objectId: Number(contact.id), ...ctx.changeSource });
  return { status: 201, body: serializeContact(ctx.portal, contact, Object.keys(values)) };
}

export function updateContact(ctx: CrmContext, id: string): SimResponse {
  const contact = requireContact(ctx, id, ctx.query.get('idProperty') ?? undefined);
  const body = asRecord(ctx.body, 'body');
  const values = validateProperties(ctx.portal, body.properties);
  if (values.email !== undefined) assertEmailFree(ctx.portal, values.email, contact.id);
  applyProperties(ctx, contact, values);
  return { status: 200, body: serializeContact(ctx.portal, contact, Object.keys(values)) };
}

export function archiveContact(ctx: CrmContext, id: string): SimResponse {
  const contact = ctx.portal.contacts.get(id);
  // HubSpot answers 204 for an unknown id as well.
  if (contact && !contact.archived) {
    contact.archived = true;
    contact.archivedAt = ctx.nowIso();
    if (contact.properties.email) ctx.portal.emailIndex.delete(contact.properties.email.toLowerCase());
    ctx.emit({ subscriptionType: 'contact.deletion', objectId: Number(id), ...ctx.changeSource });
  }
  return { status: 204 };
}

function sortedIds(portal: PortalState): number[] {
  if (!portal.sortedIds) portal.sortedIds = [...portal.contacts.keys()].map(Number).sort((a, b) => a - b);
  return portal.sortedIds;
}

/** GET /crm/v3/objects/contacts: id-ordered pages; `after` is the next id (opaque to clients). */
export function listContacts(ctx: CrmContext, baseUrl: string): SimResponse {
  const limit = optNumber(ctx.query.get('limit') ?? undefined) ?? 10;
  // HubSpot's exact answer to limit > 100 is unconfirmed; a 400 makes a client bug visible.
  if (limit < 1 || limit > LIST_LIMIT) throw validationError(`limit must be between 1 and ${LIST_LIMIT}`);
  const after = Number(ctx.query.get('after') ?? 0);
  const archived = ctx.query.get('archived') === 'true';
  const ids = sortedIds(ctx.portal);
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid] < after) lo = mid + 1;
    else hi = mid;
  }
  const requested = queryList(ctx.query, 'properties');
  const results: Record<string, unknown>[] = [];
  let nextAfter: number | undefined;
  for (let i = lo; i < ids.length; i++) {
    const contact = ctx.portal.contacts.get(String(ids[i]));
    if (!contact || contact.archived !== archived) continue;
    if (results.length === limit) {
      nextAfter = ids[i];
      break;
    }
    results.push(serializeContact(ctx.portal, contact, requested));
  }
  const body: Record<string, unknown> = { results };
  if (nextAfter !== undefined) {
    body.paging = {
      next: {
        after: String(nextAfter),
        link: `${baseUrl}/crm/v3/objects/contacts?limit=${limit}&after=${nextAfter}`,
      },
    };
  }
  return { status: 200, body };
}

// ---------------------------------------------------------------- GDPR delete

/** Removes the contact for good, blocklists its email, drops its preferences; 204. */
export function gdprDelete(ctx: CrmContext): SimResponse {
  const body = asRecord(ctx.body, 'body');
  const objectId = reqString(body.objectId, 'objectId');
  const idProperty = optString(body.idProperty);
  let contact = findContact(ctx.portal, objectId, idProperty);
  contact ??= findContact(ctx.portal, objectId, idProperty, true);
  if (!contact) {
    // With idProperty=email and no contact HubSpot still blocklists the address (reference §3).
    if (idProperty === 'email') {
      forgetEmail(ctx.portal, objectId);
      return { status: 204 };
    }
    throw notFound();
  }
  ctx.portal.contacts.delete(contact.id);
  ctx.portal.sortedIds = null;
  ctx.portal.gdprDeletedIds.add(contact.id);
  if (contact.properties.email) forgetEmail(ctx.portal, contact.properties.email);
  // HubSpot emits both (reference §3); changeSource/changeFlag on privacyDeletion are unconfirmed.
  ctx.emit({ subscriptionType: 'contact.privacyDeletion', objectId: Number(contact.id) });
  ctx.emit({ subscriptionType: 'contact.deletion', objectId: Number(contact.id), changeFlag: 'DELETED' });
  return { status: 204 };
}

function forgetEmail(portal: PortalState, email: string) {
  const key = email.toLowerCase();
  portal.emailIndex.delete(key);
  portal.gdprBlocklist.add(key);
  for (const channel of ['EMAIL', 'WHATSAPP']) {
    portal.preferences.delete(`${channel}:${key}`);
    portal.unsubscribedFromAll.delete(`${channel}:${key}`);
  }
}
