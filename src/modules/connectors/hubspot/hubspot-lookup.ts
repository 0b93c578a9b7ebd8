import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { normalisePhone, toCountry } from '../../ledger';
import {
  HUBSPOT_SEARCH_IN_LIMIT,
  HUBSPOT_SEARCH_MAX_FILTERS,
  HUBSPOT_SEARCH_MAX_GROUPS,
} from './hubspot.constants';
import {
  HUBSPOT_COUNTRY_PROPERTY,
  HUBSPOT_MODIFIED_PROPERTY,
  type HubspotContactLike,
} from './hubspot.mapper';

/**
 * Finding a person's HubSpot contacts by phone and email. HubSpot stores phones as typed ("+49 1511 2345678",
 * "0151 2345678"), and EQ/IN compare the stored string, so an E.164 value alone misses most real contacts
 * (reference §3, "Phones are stored as typed"). HubSpot's answer is its calculated properties: the number
 * with country code (E.164) and the national significant digits. Those are searched, the raw properties
 * too (for portals whose numbers were written as E.164 by an integration, and `hs_whatsapp_phone_number`,
 * which has no calculated counterpart), and every hit is verified before anything is written to it.
 */

/** Calculated properties that hold E.164 ("Calculated Phone Number with country code"). */
export const HUBSPOT_CALCULATED_INTERNATIONAL = [
  'hs_searchable_calculated_international_phone_number',
  'hs_searchable_calculated_international_mobile_number',
] as const;
/** Calculated properties that hold the national significant digits ("15112345678"). */
export const HUBSPOT_CALCULATED_NATIONAL = [
  'hs_searchable_calculated_phone_number',
  'hs_searchable_calculated_mobile_number',
] as const;

/** One IN filter (its own filter group: groups are OR-ed). */
export interface InFilter {
  propertyName: string;
  values: string[];
}

export interface LookupWanted {
  /** E.164 phones of the people looked up. */
  phones: string[];
  /** Lower-case emails of the people looked up. */
  emails: string[];
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The national significant digits of an E.164 number (what `hs_searchable_calculated_phone_number` holds). */
export function nationalDigits(e164: string): string | null {
  return parsePhoneNumberFromString(e164)?.nationalNumber ?? null;
}

/** Every IN filter that finds a candidate for these phones and emails, values split at HubSpot's IN limit. */
export function lookupFilters(wanted: LookupWanted, rawPhoneProperties: readonly string[]): InFilter[] {
  const phones = [...new Set(wanted.phones)];
  const nationals = [...new Set(phones.map(nationalDigits).filter((d): d is string => !!d))];
  const emails = [...new Set(wanted.emails)];
  const filters: InFilter[] = [];
  const add = (propertyName: string, values: string[]) => {
    for (const part of chunk(values, HUBSPOT_SEARCH_IN_LIMIT)) filters.push({ propertyName, values: part });
  };
  for (const name of HUBSPOT_CALCULATED_INTERNATIONAL) add(name, phones);
  for (const name of HUBSPOT_CALCULATED_NATIONAL) add(name, nationals);
  for (const name of rawPhoneProperties) add(name, phones);
  add('email', emails);
  return filters;
}

/**
 * Filters packed into search requests within HubSpot's limits: at most 5 filter groups and 25 filters a
 * request (each filter is a group of its own, so 5 a request).
 */
export function packFilters(filters: readonly InFilter[]): InFilter[][] {
  return chunk(filters, Math.min(HUBSPOT_SEARCH_MAX_GROUPS, HUBSPOT_SEARCH_MAX_FILTERS));
}

/** Properties a lookup search must return: everything the verification reads. */
export function lookupProperties(rawPhoneProperties: readonly string[]): string[] {
  return [...new Set([...rawPhoneProperties, 'email', HUBSPOT_COUNTRY_PROPERTY, HUBSPOT_MODIFIED_PROPERTY])];
}

/**
 * What a candidate really holds: its stored phones normalised (in the record's own country, else the
 * connection's region) and its email. A search hit counts only through these: the national digits
 * "15112345678" of a German mobile may be another country's number, and a calculated value may be stale.
 */
export function verifiedIdentities(
  contact: HubspotContactLike,
  rawPhoneProperties: readonly string[],
  phoneRegion: string | null,
): { phones: Set<string>; email: string | null } {
  const country = contact.properties[HUBSPOT_COUNTRY_PROPERTY]?.trim();
  const region = (country ? toCountry(country) : null) ?? phoneRegion;
  const phones = new Set<string>();
  for (const name of rawPhoneProperties) {
    const value = contact.properties[name];
    const e164 = value ? normalisePhone(value, region) : null;
    if (e164) phones.add(e164);
  }
  const email = contact.properties.email?.trim().toLowerCase() || null;
  return { phones, email };
}

/** Contact ids indexed by the verified phones and emails of the candidates. */
export class CandidateIndex {
  private readonly byPhone = new Map<string, Set<string>>();
  private readonly byEmail = new Map<string, Set<string>>();

  constructor(
    private readonly rawPhoneProperties: readonly string[],
    private readonly phoneRegion: string | null,
  ) {}

  add(contact: HubspotContactLike): void {
    const { phones, email } = verifiedIdentities(contact, this.rawPhoneProperties, this.phoneRegion);
    for (const phone of phones) put(this.byPhone, phone, contact.id);
    if (email) put(this.byEmail, email, contact.id);
  }

  /** Every verified record of a person: one of their phones or emails (case-insensitive) is on it. */
  recordsOf(phones: readonly string[], emails: readonly string[]): string[] {
    const ids = new Set<string>();
    for (const phone of phones) for (const id of this.byPhone.get(phone) ?? []) ids.add(id);
    for (const email of emails) for (const id of this.byEmail.get(email.toLowerCase()) ?? []) ids.add(id);
    return [...ids];
  }
}

function put(map: Map<string, Set<string>>, key: string, id: string): void {
  const ids = map.get(key) ?? new Set<string>();
  ids.add(id);
  map.set(key, ids);
}
