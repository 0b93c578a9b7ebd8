import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { ContactRecord } from './hubspot-state';

/**
 * HubSpot's calculated phone properties (reference §3, "Phones are stored as typed"): `phone` and
 * `mobilephone` keep whatever was typed; HubSpot derives searchable values from them.
 * - `hs_searchable_calculated_international_phone_number` / `…_international_mobile_number`: E.164 with '+'
 *   ("+4915112345678"), labelled "Calculated Phone Number with country code".
 * - `hs_searchable_calculated_phone_number` / `…_mobile_number`: the national significant number's digits
 *   ("15112345678").
 * `hs_whatsapp_phone_number` has no calculated counterpart.
 */

export const CALCULATED_PHONE_PROPERTIES = {
  hs_searchable_calculated_phone_number: { source: 'phone', international: false },
  hs_searchable_calculated_international_phone_number: { source: 'phone', international: true },
  hs_searchable_calculated_mobile_number: { source: 'mobilephone', international: false },
  hs_searchable_calculated_international_mobile_number: { source: 'mobilephone', international: true },
} as const;

export type CalculatedPhoneProperty = keyof typeof CALCULATED_PHONE_PROPERTIES;

export function isCalculatedPhoneProperty(name: string): name is CalculatedPhoneProperty {
  return Object.hasOwn(CALCULATED_PHONE_PROPERTIES, name);
}

/** The contact property naming the contact's country (ISO 3166 alpha-2) for reading national numbers. */
export const COUNTRY_PROPERTY = 'hs_country_region_code';

export interface CalculatedPhone {
  /** E.164 with '+'. */
  international: string;
  /** National significant number, digits only. */
  national: string;
}

/** An ISO alpha-2 code libphonenumber knows (case-insensitive), upper-cased; otherwise undefined. */
export function toCountryCode(value: string | null | undefined): CountryCode | undefined {
  const code = value?.trim().toUpperCase();
  return code && code.length === 2 && isSupportedCountry(code) ? code : undefined;
}

/**
 * Reads one typed phone value as HubSpot's calculation would. A value with a leading '+' is international;
 * anything else ("0151 2345678", "(650) 253-0000", "0049 1511 …", "4915112345678") is read in `country`
 * (the contact's `hs_country_region_code`, else the portal default). The reference does not say what HubSpot
 * calculates for values it cannot read (garbage, national numbers without any country, numbers libphonenumber
 * rejects as invalid), so the stricter reading applies: they get NO calculated value.
 */
export function calculatePhone(raw: string | undefined, country?: string | null): CalculatedPhone | null {
  const text = raw?.trim();
  if (!text) return null;
  const region = toCountryCode(country);
  if (!text.startsWith('+') && !region) return null;
  const parsed = parsePhoneNumberFromString(text, text.startsWith('+') ? undefined : region);
  if (!parsed || !parsed.isValid()) return null;
  // `number` is E.164 and never carries an extension ("+1 650 253 0000 ext. 12" → "+16502530000").
  return { international: parsed.number, national: parsed.nationalNumber };
}

interface CacheEntry {
  key: string;
  values: Partial<Record<CalculatedPhoneProperty, string>>;
}

/**
 * Parsing is cached per contact and recomputed only when its inputs changed, so seeding 100k contacts costs
 * nothing until a calculated property is searched or read.
 */
const cache = new WeakMap<ContactRecord, CacheEntry>();

/** The calculated phone values of a contact (absent when HubSpot would not calculate one). */
export function calculatedPhoneValues(
  contact: ContactRecord,
  defaultCountry?: string | null,
): Partial<Record<CalculatedPhoneProperty, string>> {
  const country = contact.properties[COUNTRY_PROPERTY] || defaultCountry || '';
  const phone = contact.properties.phone ?? '';
  const mobile = contact.properties.mobilephone ?? '';
  const key = `${country}\u0000${phone}\u0000${mobile}`;
  const hit = cache.get(contact);
  if (hit && hit.key === key) return hit.values;
  const parsed = { phone: calculatePhone(phone, country), mobilephone: calculatePhone(mobile, country) };
  const values: Partial<Record<CalculatedPhoneProperty, string>> = {};
  for (const [name, { source, international }] of Object.entries(CALCULATED_PHONE_PROPERTIES)) {
    const result = parsed[source];
    if (result)
      values[name as CalculatedPhoneProperty] = international ? result.international : result.national;
  }
  cache.set(contact, { key, values });
  return values;
}
