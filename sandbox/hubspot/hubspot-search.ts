import { bodyList, contactValue, serializeContact, type CrmContext } from './hubspot-contacts';
import {
  asArray,
  asRecord,
  optNumber,
  optString,
  reqString,
  validationError,
  type SimResponse,
} from './hubspot-http';
import type { ContactRecord, PortalState } from './hubspot-state';

/**
 * `POST /crm/v3/objects/contacts/search` as the reference (§3) describes it: filter groups OR-ed, filters in
 * a group AND-ed; string properties compare the STORED string (trimmed, case-insensitive), so an E.164 value
 * does not find "+49 1511 2345678"; datetime properties compare instants (epoch ms or ISO); the index lags
 * writes by `searchLagMs`.
 */

/** Page size cap for search (reference: 200, unconfirmed). */
export const SEARCH_LIMIT = 200;
/** Search never pages past 10,000 results (reference: third-party connector docs). */
export const SEARCH_MAX_RESULTS = 10_000;
/** Limits from HubSpot's changelog "expanded filtering capabilities" (reference §3). */
export const MAX_FILTER_GROUPS = 5;
export const MAX_FILTERS_PER_GROUP = 10;
export const MAX_FILTERS = 25;

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

// ---------------------------------------------------------------- comparing values

type Kind = 'datetime' | 'number' | 'string';

function kindOf(portal: PortalState, name: string): Kind {
  const type = portal.properties.get(name)?.type;
  if (type === 'datetime' || type === 'date') return 'datetime';
  if (type === 'number') return 'number';
  return 'string';
}

/** Epoch ms ("1735812000000", a number sent by the SDK) or an ISO string; null if neither. */
export function toInstant(value: string): number | null {
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

type Comparable = number | string;

/** The comparable form of a stored value (null = the contact has no usable value). */
function key(kind: Kind, value: string | null): Comparable | null {
  if (value === null || value === '') return null;
  if (kind === 'datetime') return toInstant(value);
  if (kind === 'number') {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : value.trim().toLowerCase();
  }
  return value.trim().toLowerCase();
}

/** The comparable form of a filter value: an unreadable date is the caller's error (400). */
function filterKey(kind: Kind, value: string, propertyName: string): Comparable {
  if (kind === 'string') return value.trim().toLowerCase();
  const k = key(kind, value);
  if (k === null) {
    throw validationError(`${value} is not a valid value for ${kind} property ${propertyName}`);
  }
  return k;
}

function order(a: Comparable, b: Comparable): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

type Predicate = (actual: Comparable | null, raw: string | null) => boolean;

function predicate(kind: Kind, f: Filter): Predicate {
  const one = (v: string | undefined) => (v === undefined ? undefined : filterKey(kind, v, f.propertyName));
  const value =
    f.operator === 'CONTAINS_TOKEN' || f.operator === 'NOT_CONTAINS_TOKEN' ? undefined : one(f.value);
  const cmp = (actual: Comparable | null, test: (c: number) => boolean) =>
    actual !== null && value !== undefined && test(order(actual, value));
  switch (f.operator) {
    case 'EQ':
      return (actual) => cmp(actual, (c) => c === 0);
    case 'NEQ':
      return (actual) => !cmp(actual, (c) => c === 0);
    case 'LT':
      return (actual) => cmp(actual, (c) => c < 0);
    case 'LTE':
      return (actual) => cmp(actual, (c) => c <= 0);
    case 'GT':
      return (actual) => cmp(actual, (c) => c > 0);
    case 'GTE':
      return (actual) => cmp(actual, (c) => c >= 0);
    case 'BETWEEN': {
      const high = one(f.highValue);
      return (actual) =>
        cmp(actual, (c) => c >= 0) && high !== undefined && actual !== null && order(actual, high) <= 0;
    }
    case 'IN':
    case 'NOT_IN': {
      const set = (f.values ?? []).map((v) => filterKey(kind, v, f.propertyName));
      const found = (actual: Comparable | null) => actual !== null && set.some((v) => order(actual, v) === 0);
      return f.operator === 'IN' ? found : (actual) => !found(actual);
    }
    case 'HAS_PROPERTY':
      return (_actual, raw) => raw !== null && raw !== '';
    case 'NOT_HAS_PROPERTY':
      return (_actual, raw) => raw === null || raw === '';
    default:
      return tokenPredicate(f);
  }
}

/** CONTAINS_TOKEN: a word of the value matches, `*` as a wildcard (as before this module existed). */
function tokenPredicate(f: Filter): Predicate {
  const pattern = (f.value ?? '').toLowerCase();
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return (_actual, raw) => {
    const found =
      raw !== null &&
      raw
        .toLowerCase()
        .split(/[\s@.,;]+/)
        .some((t) => re.test(t) || t === pattern);
    return f.operator === 'CONTAINS_TOKEN' ? found || (raw !== null && re.test(raw.toLowerCase())) : !found;
  };
}

interface CompiledFilter {
  propertyName: string;
  kind: Kind;
  test: Predicate;
}

function compile(portal: PortalState, f: Filter): CompiledFilter {
  if (!portal.properties.has(f.propertyName)) {
    throw validationError(
      `There was a problem with the request. Property "${f.propertyName}" does not exist`,
    );
  }
  const kind = kindOf(portal, f.propertyName);
  return { propertyName: f.propertyName, kind, test: predicate(kind, f) };
}

function matches(portal: PortalState, contact: ContactRecord, f: CompiledFilter): boolean {
  const raw = contactValue(portal, contact, f.propertyName);
  return f.test(key(f.kind, raw), raw);
}

// ---------------------------------------------------------------- sorting

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

function sorter(portal: PortalState, sorts: Sort[]) {
  const keyed = sorts.map((s) => ({ ...s, kind: kindOf(portal, s.propertyName) }));
  const sortKey = (c: ContactRecord, s: (typeof keyed)[number]) =>
    key(s.kind, contactValue(portal, c, s.propertyName)) ?? '';
  return (a: ContactRecord, b: ContactRecord) => {
    for (const s of keyed) {
      const c = order(sortKey(a, s), sortKey(b, s));
      if (c !== 0) return s.direction === 'DESCENDING' ? -c : c;
    }
    // Ties in id order, so a polling cursor sees a stable sequence.
    return Number(a.id) - Number(b.id);
  };
}

// ---------------------------------------------------------------- the endpoint

function parseGroups(portal: PortalState, body: Record<string, unknown>): CompiledFilter[][] {
  const groups = body.filterGroups === undefined ? [] : asArray(body.filterGroups, 'filterGroups');
  const parsed = groups.map((g) => {
    const filters = asRecord(g, 'filterGroup').filters;
    return filters === undefined ? [] : asArray(filters, 'filters').map(parseFilter);
  });
  const total = parsed.reduce((n, g) => n + g.length, 0);
  if (parsed.length > MAX_FILTER_GROUPS)
    throw validationError(`Too many filter groups (${parsed.length}). The maximum is ${MAX_FILTER_GROUPS}.`);
  if (parsed.some((g) => g.length > MAX_FILTERS_PER_GROUP))
    throw validationError(`Too many filters in a filter group. The maximum is ${MAX_FILTERS_PER_GROUP}.`);
  if (total > MAX_FILTERS)
    throw validationError(`Too many filters (${total}). The maximum is ${MAX_FILTERS}.`);
  return parsed.map((g) => g.map((f) => compile(portal, f)));
}

/**
 * The search index lags writes (reference §3 polling): a contact written less than `searchLagMs` ago is not
 * visible to search at all (list and get by id see it at once).
 */
function indexed(ctx: CrmContext): (contact: ContactRecord) => boolean {
  const lag = ctx.searchLagMs ?? 0;
  if (lag <= 0) return () => true;
  const now = ctx.nowMs ? ctx.nowMs() : Date.parse(ctx.nowIso());
  return (contact) => now - Date.parse(contact.updatedAt) >= lag;
}

export function searchContacts(ctx: CrmContext, baseUrl: string): SimResponse {
  const { portal } = ctx;
  const body = asRecord(ctx.body ?? {}, 'body');
  const groups = parseGroups(portal, body);
  const limit = optNumber(body.limit) ?? 10;
  if (limit < 0 || limit > SEARCH_LIMIT) {
    throw validationError(`Limit must be between 0 and ${SEARCH_LIMIT}, but was ${limit}`);
  }
  const after = optNumber(body.after) ?? 0;
  if (after + limit > SEARCH_MAX_RESULTS) {
    throw validationError(`Paging beyond ${SEARCH_MAX_RESULTS} results is not supported (after=${after}).`);
  }
  const query = optString(body.query)?.toLowerCase();
  const visible = indexed(ctx);
  const hits: ContactRecord[] = [];
  for (const contact of portal.contacts.values()) {
    if (contact.archived || !visible(contact)) continue;
    if (groups.length > 0 && !groups.some((g) => g.every((f) => matches(portal, contact, f)))) continue;
    if (query) {
      const text = ['email', 'firstname', 'lastname', 'phone', 'mobilephone', 'company']
        .map((p) => contact.properties[p] ?? '')
        .join(' ')
        .toLowerCase();
      if (!text.includes(query)) continue;
    }
    hits.push(contact);
  }
  hits.sort(sorter(portal, parseSorts(body.sorts)));
  const requested = bodyList(body.properties);
  const page = hits.slice(after, after + limit);
  const out: Record<string, unknown> = {
    total: hits.length,
    results: page.map((c) => serializeContact(portal, c, requested)),
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
