import {
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js';

/**
 * The gateway's one phone identity function: what people type in a CRM, a form or WhatsApp becomes E.164, or
 * null when it is not a valid number. Accepted:
 * - international numbers in any punctuation ("+49 1511 2345678", "+49-1511-2345678", "+1 (650) 555-1234"),
 *   with a "(0)" trunk digit ("+49 (0)151 2345678") or a "00" international prefix ("0049 151 …");
 * - WhatsApp's digits-only form ("4915112345678");
 * - national numbers ("0151 2345678", "(650) 555-1234") when a region is given (ISO 3166 alpha-2: the
 *   connection's default or the record's own country field);
 * - extensions ("… ext. 12", "… x12") are removed: they reach a desk phone, not a person's WhatsApp.
 */
export function normalisePhone(value: string, region?: string | null): string | null {
  const key = region ? `${region}\u0000${value}` : value;
  const memo = phoneMemo.get(key);
  if (memo !== undefined) return memo;
  const normalised = parsePhone(value, region ? toCountry(region) : null);
  phoneMemo.set(key, normalised);
  return normalised;
}

/** An ISO 3166 alpha-2 code libphonenumber knows (case-insensitive), as the upper-case code; else null. */
export function toCountry(region: string): CountryCode | null {
  const code = region.trim().toUpperCase();
  return code.length === 2 && isSupportedCountry(code) ? code : null;
}

/** Longest input considered: anything longer is not a phone number someone typed. */
const MAX_PHONE_INPUT = 64;

function parsePhone(value: string, region: CountryCode | null): string | null {
  let text = value.trim();
  if (!text || text.length > MAX_PHONE_INPUT) return null;
  // "00" is the international prefix in most of the world; libphonenumber only knows it with a region.
  if (text.startsWith('00')) text = `+${text.slice(2)}`;
  // "+49 (0)151 …": the bracketed trunk digit is dialled only inside the country.
  if (text.startsWith('+')) text = text.replace(/\(\s*0\s*\)/, '');
  if (text.startsWith('+')) return valid(text, undefined);
  if (region) {
    // Digits only, starting with the region's own country code ("4915112345678" in DE, "16505551234" in the US), is
    // an international number missing its "+": read as national in DE it would be another valid German number.
    // Other digits ("6505551234" in the US) are national first: "+65…" would be Singapore.
    if (/^\d+$/.test(text) && text.startsWith(getCountryCallingCode(region))) {
      const international = valid(`+${text}`, undefined);
      if (international) return international;
    }
    const national = valid(text, region);
    if (national) return national;
  }
  // Digits only and no national reading: WhatsApp's form of an international number (country code first).
  if (/^[\d\s().-]+$/.test(text)) return valid(`+${text}`, undefined);
  return null;
}

function valid(text: string, region: CountryCode | undefined): string | null {
  const parsed = parsePhoneNumberFromString(text, region);
  return parsed && parsed.isValid() ? parsed.number : null;
}

/**
 * A bounded memo: a Map kept in insertion order, the oldest entries dropped once it is full (refreshing an
 * entry on a hit would cost a delete+set per hit; insertion order is a good enough approximation of LRU for
 * values that are asked about repeatedly).
 */
export class BoundedMemo<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    if (this.map.size >= this.max && !this.map.has(key)) {
      // Drop the oldest tenth at once, so a full memo does not pay an eviction on every insert.
      let drop = Math.max(1, Math.floor(this.max / 10));
      for (const k of this.map.keys()) {
        this.map.delete(k);
        if (--drop === 0) break;
      }
    }
    this.map.set(key, value);
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}

/** Parsing with libphonenumber dominates a lookup by phone; the same raw values come back again and again. */
const phoneMemo = new BoundedMemo<string, string | null>(50_000);
