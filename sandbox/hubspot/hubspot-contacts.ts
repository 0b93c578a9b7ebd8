import { parsePhoneNumberFromString } from 'libphonenumber-js';
import {
  asArray,
  asRecord,
  conflict,
  errorBody,
  HubSpotHttpError,
  notFound,
  optNumber,
  optString,
  propertyValue,
  reqString,
  validationError,
  type SimResponse,
} from './hubspot-http';
import type { ContactRecord, PortalState, PropertyDefinition } from './hubspot-state';
import type { WebhookEventInput } from './hubspot-webhooks';

/**
 * CRM contacts, contact properties and GDPR delete, as `/crm/v3/objects/contacts/*` and
 * `/crm/v3/properties/contacts/*` answer them (shapes per the 13.5.0 SDK models and the reference).
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
}

export const BATCH_LIMIT = 100;
export const LIST_LIMIT = 100;
/** Page size cap for search (reference: 200, unconfirmed). */
export const SEARCH_LIMIT = 200;
/** Search never pages past 10,000 results (reference: third-party connector docs). */
export const SEARCH_MAX_RESULTS = 10_000;

const DEFAULT_PROPERTIES = [
  'createdate',
  'email',
  'firstname',
  'hs_object_id',
  'lastmodifieddate',
  'lastname',
];
const ALWAYS_PROPERTIES = ['createdate', 'hs_object_id', 'lastmodifieddate'];
const OBJECT_NOT_FOUND_MESSAGE =
  'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.';

// ---------------------------------------------------------------- values and serialisation

/** Digits-only national / E.164 forms for the calculated `hs_searchable_*` properties (format unconfirmed). */
function calculatedPhone(raw: string | undefined, international: boolean): string | null {
  if (!raw) return null;
  const parsed = parsePhoneNumberFromString(raw.startsWith('+') ? raw : `+${raw.replace(/\D/g, '')}`);
  if (!parsed) return raw.replace(/\D/g, '') || null;
  return international ? parsed.number : parsed.nationalNumber;
}

export function contactValue(contact: ContactRecord, name: string): string | null {
  switch (name) {
    case 'hs_object_id':
      return contact.id;
    case 'createdate':
      return contact.createdAt;
    case 'lastmodifieddate':
      return contact.updatedAt;
    case 'hs_searchable_calculated_phone_number':
      return calculatedPhone(contact.properties.phone, false);
    case 'hs_searchable_calculated_mobile_number':
      return calculatedPhone(contact.properties.mobilephone, false);
    case 'hs_searchable_calculated_international_phone_number':
      return calculatedPhone(contact.properties.phone, true);
    case 'hs_searchable_calculated_international_mobile_number':
      return calculatedPhone(contact.properties.mobilephone, true);
    default:
      return contact.properties[name] ?? null;
  }
}

/**
 * SimplePublicObject: requested properties come back as `null` when empty; `hs_object_id`, `createdate`
 * and `lastmodifieddate` always; the six defaults when nothing was requested.
 */
export function serializeContact(contact: ContactRecord, requested?: string[]): Record<string, unknown> {
  const names = requested && requested.length > 0 ? [...requested, ...ALWAYS_PROPERTIES] : DEFAULT_PROPERTIES;
  const properties: Record<string, string | null> = {};
  for (const name of names) properties[name] = contactValue(contact, name);
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

function bodyList(value: unknown): string[] | undefined {
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

function assertEmailFree(portal: PortalState, email: string | null | undefined, selfId?: string) {
  if (!email) return;
  const key = email.toLowerCase();
  if (portal.gdprBlocklist.has(key)) {
    // HubSpot blocklists GDPR-deleted emails; the exact API response to re-adding one is unconfirmed.
    throw validationError(
      `Cannot use email address ${email}: it belongs to a contact that was permanently deleted (GDPR) and is blocked.`,
    );
  }
  const existing = portal.emailIndex.get(key);
  if (existing && existing !== selfId) throw conflict(`Contact already exists. Existing ID: ${existing}`);
}

export function createContactRecord(
  portal: PortalState,
  values: Record<string, string | null>,
  nowIso: string,
): ContactRecord {
  const id = String(portal.nextContactId++);
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== '') properties[k] = v;
  if (properties.email) properties.email = properties.email.toLowerCase();
  const contact: ContactRecord = { id, properties, createdAt: nowIso, updatedAt: nowIso, archived: false };
  portal.contacts.set(id, contact);
  if (properties.email) portal.emailIndex.set(properties.email, id);
  portal.sortedIds = null;
  return contact;
}

/** Applies already-validated values; emits `contact.propertyChange` for every value that changed. */
export function applyProperties(
  ctx: CrmContext,
  contact: ContactRecord,
  values: Record<string, string | null>,
) {
  const now = ctx.nowIso();
  let changed = false;
  for (const [name, raw] of Object.entries(values)) {
    const value = raw === null || raw === '' ? undefined : name === 'email' ? raw.toLowerCase() : raw;
    const before = contact.properties[name];
    if (before === value) continue;
    if (name === 'email') {
      if (before) ctx.portal.emailIndex.delete(before);
      if (value) ctx.portal.emailIndex.set(value, contact.id);
    }
    if (value === undefined) delete contact.properties[name];
    else contact.properties[name] = value;
    changed = true;
    ctx.emit({
      subscriptionType: 'contact.propertyChange',
      objectId: Number(contact.id),
      propertyName: name,
      propertyValue: value ?? '',
      ...ctx.changeSource,
    });
  }
  if (changed) contact.updatedAt = now;
}

// ---------------------------------------------------------------- lookups

function findContact(portal: PortalState, id: string, idProperty?: string, archived = false) {
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
  return { status: 200, body: serializeContact(contact, queryList(ctx.query, 'properties')) };
}

export function createContact(ctx: CrmContext): SimResponse {
  const body = asRecord(ctx.body, 'body');
  const values = validateProperties(ctx.portal, body.properties);
  assertEmailFree(ctx.portal, values.email);
  const contact = createContactRecord(ctx.portal, values, ctx.nowIso());
  ctx.emit({ subscriptionType: 'contact.creation', objectId: Number(contact.id), ...ctx.changeSource });
  return { status: 201, body: serializeContact(contact, Object.keys(values)) };
}

export function updateContact(ctx: CrmContext, id: string): SimResponse {
  const contact = requireContact(ctx, id, ctx.query.get('idProperty') ?? undefined);
  const body = asRecord(ctx.body, 'body');
  const values = validateProperties(ctx.portal, body.properties);
  if (values.email !== undefined) assertEmailFree(ctx.portal, values.email, contact.id);
  applyProperties(ctx, contact, values);
  return { status: 200, body: serializeContact(contact, Object.keys(values)) };
}

export function archiveContact(ctx: CrmContext, id: string): SimResponse {
  const contact = ctx.portal.contacts.get(id);
  // HubSpot answers 204 for an unknown id as well.
  if (contact && !contact.archived) {
    contact.archived = true;
    contact.archivedAt = ctx.nowIso();
    if (contact.properties.email) ctx.portal.emailIndex.delete(contact.properties.email);
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
    results.push(serializeContact(contact, requested));
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

// ---------------------------------------------------------------- search

interface Filter {
  propertyName: string;
  operator: string;
  value?: string;
  highValue?: string;
  values?: string[];
}

const OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

function parseFilter(raw: unknown): Filter {
  const f = asRecord(raw, 'filter');
  const operator = reqString(f.operator, 'filter.operator');
  if (!OPERATORS.has(operator)) throw validationError(`Unknown filter operator ${operator}`);
  return {
    propertyName: reqString(f.propertyName, 'filter.propertyName'),
    operator,
    value: optString(f.value),
    highValue: optString(f.highValue),
    values: bodyList(f.values),
  };
}

function comparable(value: string): number | string {
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n)) return n;
  const t = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(t)) return t;
  return value.toLowerCase();
}

function compare(a: string, b: string): number {
  const x = comparable(a);
  const y = comparable(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  return String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
}

function matches(contact: ContactRecord, f: Filter): boolean {
  const actual = contactValue(contact, f.propertyName);
  const eq = (v: string | undefined) =>
    actual !== null && v !== undefined && actual.toLowerCase() === v.toLowerCase();
  switch (f.operator) {
    case 'EQ':
      return eq(f.value);
    case 'NEQ':
      return !eq(f.value);
    case 'LT':
      return actual !== null && f.value !== undefined && compare(actual, f.value) < 0;
    case 'LTE':
      return actual !== null && f.value !== undefined && compare(actual, f.value) <= 0;
    case 'GT':
      return actual !== null && f.value !== undefined && compare(actual, f.value) > 0;
    case 'GTE':
      return actual !== null && f.value !== undefined && compare(actual, f.value) >= 0;
    case 'BETWEEN':
      return (
        actual !== null &&
        f.value !== undefined &&
        f.highValue !== undefined &&
        compare(actual, f.value) >= 0 &&
        compare(actual, f.highValue) <= 0
      );
    case 'IN':
      return (f.values ?? []).some((v) => eq(v));
    case 'NOT_IN':
      return !(f.values ?? []).some((v) => eq(v));
    case 'HAS_PROPERTY':
      return actual !== null && actual !== '';
    case 'NOT_HAS_PROPERTY':
      return actual === null || actual === '';
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const pattern = (f.value ?? '').toLowerCase();
      const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      const found =
        actual !== null &&
        actual
          .toLowerCase()
          .split(/[\s@.,;]+/)
          .some((t) => re.test(t) || t === pattern);
      return f.operator === 'CONTAINS_TOKEN'
        ? found || (actual !== null && re.test(actual.toLowerCase()))
        : !found;
    }
    default:
      return false;
  }
}

interface Sort {
  propertyName: string;
  direction: 'ASCENDING' | 'DESCENDING';
}

function parseSorts(raw: unknown): Sort[] {
  if (raw === undefined || raw === null) return [];
  return asArray(raw, 'sorts').map((s) => {
    // The SDK types sorts as string[] ("createdate" / "-createdate"); HubSpot documents objects.
    if (typeof s === 'string') {
      return s.startsWith('-')
        ? { propertyName: s.slice(1), direction: 'DESCENDING' as const }
        : { propertyName: s, direction: 'ASCENDING' as const };
    }
    const r = asRecord(s, 'sort');
    return {
      propertyName: reqString(r.propertyName, 'sort.propertyName'),
      direction: r.direction === 'DESCENDING' ? ('DESCENDING' as const) : ('ASCENDING' as const),
    };
  });
}

export function searchContacts(ctx: CrmContext, baseUrl: string): SimResponse {
  const body = asRecord(ctx.body ?? {}, 'body');
  const groups = body.filterGroups === undefined ? [] : asArray(body.filterGroups, 'filterGroups');
  const parsed = groups.map((g) => {
    const filters = asRecord(g, 'filterGroup').filters;
    return filters === undefined ? [] : asArray(filters, 'filters').map(parseFilter);
  });
  // Limits from HubSpot's changelog "expanded filtering capabilities": 5 groups, 10 per group, 25 total.
  const total = parsed.reduce((n, g) => n + g.length, 0);
  if (parsed.length > 5)
    throw validationError(`Too many filter groups (${parsed.length}). The maximum is 5.`);
  if (parsed.some((g) => g.length > 10))
    throw validationError('Too many filters in a filter group. The maximum is 10.');
  if (total > 25) throw validationError(`Too many filters (${total}). The maximum is 25.`);
  for (const f of parsed.flat()) {
    if (!ctx.portal.properties.has(f.propertyName)) {
      throw validationError(
        `There was a problem with the request. Property "${f.propertyName}" does not exist`,
      );
    }
  }
  const limit = optNumber(body.limit) ?? 10;
  if (limit < 0 || limit > SEARCH_LIMIT) {
    throw validationError(`Limit must be between 0 and ${SEARCH_LIMIT}, but was ${limit}`);
  }
  const after = optNumber(body.after) ?? 0;
  if (after + limit > SEARCH_MAX_RESULTS) {
    throw validationError(`Paging beyond ${SEARCH_MAX_RESULTS} results is not supported (after=${after}).`);
  }
  const query = optString(body.query)?.toLowerCase();
  const sorts = parseSorts(body.sorts);
  const hits: ContactRecord[] = [];
  for (const contact of ctx.portal.contacts.values()) {
    if (contact.archived) continue;
    if (parsed.length > 0 && !parsed.some((g) => g.every((f) => matches(contact, f)))) continue;
    if (query) {
      const text = ['email', 'firstname', 'lastname', 'phone', 'mobilephone', 'company']
        .map((p) => contact.properties[p] ?? '')
        .join(' ')
        .toLowerCase();
      if (!text.includes(query)) continue;
    }
    hits.push(contact);
  }
  hits.sort((a, b) => {
    for (const s of sorts) {
      const x = contactValue(a, s.propertyName) ?? '';
      const y = contactValue(b, s.propertyName) ?? '';
      const c = compare(x, y);
      if (c !== 0) return s.direction === 'DESCENDING' ? -c : c;
    }
    return Number(a.id) - Number(b.id);
  });
  const requested = bodyList(body.properties);
  const page = hits.slice(after, after + limit);
  const out: Record<string, unknown> = {
    total: hits.length,
    results: page.map((c) => serializeContact(c, requested)),
  };
  if (after + limit < hits.length && after + limit < SEARCH_MAX_RESULTS) {
    out.paging = {
      next: {
        after: String(after + limit),
        link: `${baseUrl}/crm/v3/objects/contacts/search?after=${after + limit}`,
      },
    };
  }
  return { status: 200, body: out };
}

// ---------------------------------------------------------------- batch

function batchInputs(body: unknown): unknown[] {
  const inputs = asArray(asRecord(body, 'body').inputs, 'inputs');
  if (inputs.length > BATCH_LIMIT) {
    // Exact wording unconfirmed; category and status as HubSpot answers oversized batches.
    throw validationError(`Batch input limit is ${BATCH_LIMIT}, but ${inputs.length} inputs were provided.`, {
      context: { inputs: [String(inputs.length)] },
    });
  }
  return inputs;
}

function batchResponse(
  ctx: CrmContext,
  startedAt: string,
  results: Record<string, unknown>[],
  notFoundIds: string[],
  okStatus: number,
): SimResponse {
  const body: Record<string, unknown> = {
    status: 'COMPLETE',
    results,
    requestedAt: startedAt,
    startedAt,
    completedAt: ctx.nowIso(),
    links: {},
  };
  if (notFoundIds.length === 0) return { status: okStatus, body };
  body.numErrors = 1;
  body.errors = [
    {
      status: 'error',
      category: 'OBJECT_NOT_FOUND',
      message: OBJECT_NOT_FOUND_MESSAGE,
      context: { ids: notFoundIds },
      errors: [],
      links: {},
    },
  ];
  return { status: 207, body };
}

export function batchRead(ctx: CrmContext): SimResponse {
  const startedAt = ctx.nowIso();
  const inputs = batchInputs(ctx.body);
  const body = asRecord(ctx.body, 'body');
  const idProperty = optString(body.idProperty);
  const requested = bodyList(body.properties);
  const archived = ctx.query.get('archived') === 'true';
  const results: Record<string, unknown>[] = [];
  const missing: string[] = [];
  for (const raw of inputs) {
    const id = reqString(asRecord(raw, 'input').id, 'id');
    const contact = findContact(ctx.portal, id, idProperty, archived);
    if (contact) results.push(serializeContact(contact, requested));
    else missing.push(id);
  }
  return batchResponse(ctx, startedAt, results, missing, 200);
}

export function batchUpdate(ctx: CrmContext): SimResponse {
  const startedAt = ctx.nowIso();
  const inputs = batchInputs(ctx.body).map((raw) => {
    const r = asRecord(raw, 'input');
    return {
      id: reqString(r.id, 'id'),
      idProperty: optString(r.idProperty),
      values: validateProperties(ctx.portal, r.properties),
    };
  });
  const seen = new Set<string>();
  const duplicates = inputs.filter((i) => seen.size === seen.add(i.id).size).map((i) => i.id);
  if (duplicates.length > 0)
    throw validationError(
      `Duplicate IDs found in batch input: [${duplicates.join(', ')}]. IDs must be unique`,
    );
  if (inputs.some((i) => i.idProperty === 'email')) {
    // hubspot-api-nodejs #548: batch update keyed by email is refused.
    throw validationError('Unable to perform update/upsert by non-unique 0-1 property email');
  }
  const results: Record<string, unknown>[] = [];
  const missing: string[] = [];
  for (const input of inputs) {
    const contact = findContact(ctx.portal, input.id, input.idProperty);
    if (!contact) {
      missing.push(input.id);
      continue;
    }
    if (input.values.email !== undefined) assertEmailFree(ctx.portal, input.values.email, contact.id);
    applyProperties(ctx, contact, input.values);
    results.push(serializeContact(contact, Object.keys(input.values)));
  }
  return batchResponse(ctx, startedAt, results, missing, 200);
}

export function batchCreate(ctx: CrmContext): SimResponse {
  const startedAt = ctx.nowIso();
  const inputs = batchInputs(ctx.body).map((raw) =>
    validateProperties(ctx.portal, asRecord(raw, 'input').properties),
  );
  const emails = new Set<string>();
  for (const values of inputs) {
    assertEmailFree(ctx.portal, values.email);
    if (values.email) {
      const key = values.email.toLowerCase();
      if (emails.has(key)) throw conflict(`Duplicate email ${values.email} in batch input`);
      emails.add(key);
    }
  }
  const results = inputs.map((values) => {
    const contact = createContactRecord(ctx.portal, values, ctx.nowIso());
    ctx.emit({ subscriptionType: 'contact.creation', objectId: Number(contact.id), ...ctx.changeSource });
    return serializeContact(contact, Object.keys(values));
  });
  return batchResponse(ctx, startedAt, results, [], 201);
}

export function batchUpsert(ctx: CrmContext): SimResponse {
  const startedAt = ctx.nowIso();
  const inputs = batchInputs(ctx.body).map((raw) => {
    const r = asRecord(raw, 'input');
    const idProperty = reqString(r.idProperty, 'idProperty');
    const def = ctx.portal.properties.get(idProperty);
    if (!def) throw validationError(`Property "${idProperty}" does not exist`);
    if (idProperty !== 'email' && !def.hasUniqueValue) {
      throw validationError(`Unable to perform update/upsert by non-unique 0-1 property ${idProperty}`);
    }
    return { id: reqString(r.id, 'id'), idProperty, values: validateProperties(ctx.portal, r.properties) };
  });
  const results = inputs.map((input) => {
    const existing = findContact(ctx.portal, input.id, input.idProperty);
    if (existing) {
      applyProperties(ctx, existing, input.values);
      return { ...serializeContact(existing, Object.keys(input.values)), new: false };
    }
    const values = { ...input.values, [input.idProperty]: input.id };
    assertEmailFree(ctx.portal, values.email);
    const contact = createContactRecord(ctx.portal, values, ctx.nowIso());
    ctx.emit({ subscriptionType: 'contact.creation', objectId: Number(contact.id), ...ctx.changeSource });
    return { ...serializeContact(contact, Object.keys(values)), new: true };
  });
  return batchResponse(ctx, startedAt, results, [], 200);
}

export function batchArchive(ctx: CrmContext): SimResponse {
  for (const raw of batchInputs(ctx.body)) archiveContact(ctx, reqString(asRecord(raw, 'input').id, 'id'));
  return { status: 204 };
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

// ---------------------------------------------------------------- properties

export function serializeProperty(def: PropertyDefinition): Record<string, unknown> {
  const { readOnly, ...rest } = def;
  return {
    ...rest,
    modificationMetadata: {
      archivable: !def.hubspotDefined,
      readOnlyDefinition: def.hubspotDefined,
      readOnlyValue: readOnly,
    },
  };
}

export function getProperty(ctx: CrmContext, name: string): SimResponse {
  const def = ctx.portal.properties.get(name);
  if (!def) throw new HubSpotHttpError(404, errorBody('OBJECT_NOT_FOUND', `Unable to find property ${name}`));
  return { status: 200, body: serializeProperty(def) };
}

export function listProperties(ctx: CrmContext): SimResponse {
  return { status: 200, body: { results: [...ctx.portal.properties.values()].map(serializeProperty) } };
}

const PROPERTY_TYPES = new Set([
  'string',
  'number',
  'date',
  'datetime',
  'enumeration',
  'bool',
  'phone_number',
]);

export function createProperty(ctx: CrmContext): SimResponse {
  const body = asRecord(ctx.body, 'body');
  const name = reqString(body.name, 'name');
  const type = reqString(body.type, 'type');
  const fieldType = reqString(body.fieldType, 'fieldType');
  const label = reqString(body.label, 'label');
  const groupName = reqString(body.groupName, 'groupName');
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw validationError(`Property name ${name} is invalid`);
  if (!PROPERTY_TYPES.has(type)) throw validationError(`Invalid property type ${type}`);
  if (ctx.portal.properties.has(name)) {
    // Category as seen for duplicate properties (exact body unconfirmed).
    throw new HubSpotHttpError(
      409,
      errorBody('OBJECT_ALREADY_EXISTS', `Property named '${name}' already exists.`),
    );
  }
  const options = (body.options === undefined ? [] : asArray(body.options, 'options')).map((o, i) => {
    const r = asRecord(o, 'option');
    return {
      label: reqString(r.label, 'option.label'),
      value: reqString(r.value, 'option.value'),
      description: optString(r.description),
      displayOrder: optNumber(r.displayOrder) ?? i,
      hidden: r.hidden === true,
    };
  });
  if (type === 'enumeration' && options.length === 0 && fieldType !== 'booleancheckbox') {
    throw validationError('Enumeration properties need at least one option');
  }
  const now = ctx.nowIso();
  const def: PropertyDefinition = {
    name,
    label,
    type,
    fieldType,
    groupName,
    description: optString(body.description) ?? '',
    options,
    hasUniqueValue: body.hasUniqueValue === true,
    hubspotDefined: false,
    readOnly: false,
    createdAt: now,
    updatedAt: now,
    displayOrder: optNumber(body.displayOrder) ?? -1,
    hidden: body.hidden === true,
    formField: body.formField === true,
    calculated: false,
    externalOptions: false,
  };
  ctx.portal.properties.set(name, def);
  return { status: 201, body: serializeProperty(def) };
}
