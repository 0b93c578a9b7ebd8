import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { normalisePhone } from '../../ledger';
import { recordRegion } from './salesforce.mapper';
import type { PersonRow, SalesforceTarget } from './salesforce.types';

/**
 * Finding a person's records by phone number with SOSL. Salesforce keeps phone fields as typed ("(650) 253-0000",
 * "+49 1511 2345678", "0151 12345678"), so SOQL `Phone IN ('+16502530000')` misses most of them; SOSL's PHONE
 * FIELDS search matches on the digits of the stored value. The digits differ by how the number was typed, so every
 * form a person may have typed is searched, and every hit is verified by normalising it (a search for the national
 * digits also finds the same digits typed in another country).
 */

/** Salesforce's cap on the rows one SOSL query returns. */
export const SOSL_MAX_ROWS = 2000;
/**
 * Characters of search terms put into one SOSL query. Salesforce reads at most 10,000 characters of a search
 * query and the query travels in a GET URL; a few thousand leaves room for both.
 */
export const SOSL_MAX_TERM_CHARS = 4000;

/** SOSL's reserved characters (SOSL reference, "FIND {SearchQuery}"): escaped with a backslash. */
const SOSL_RESERVED = /[?&|!{}[\]()^~*:\\"'+-]/g;

export function soslEscape(term: string): string {
  return term.replace(SOSL_RESERVED, (ch) => `\\${ch}`);
}

/**
 * The digit strings an E.164 number may be stored as: with the country code ("4915112345678", typed "+49 …" or
 * "0049 …" without the plus), the national significant number ("6502530000", US "(650) 253-0000"), the national
 * form with its trunk prefix where the country has one ("015112345678", DE "0151 12345678"), the international
 * prefix 00 ("004915112345678") and the "(0)" trunk digit written after the country code ("49015112345678").
 */
export function phoneDigitForms(e164: string): string[] {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return [];
  const cc = parsed.countryCallingCode;
  const nsn = parsed.nationalNumber;
  const national = parsed.format('NATIONAL').replace(/\D/g, '');
  const forms = [`${cc}${nsn}`, nsn, national, `00${cc}${nsn}`];
  if (national !== nsn && national.endsWith(nsn)) forms.push(`${cc}${national}`);
  // A one-digit term is refused by SOSL and would match nothing useful.
  return [...new Set(forms)].filter((f) => f.length >= 2);
}

/** The SOSL search query for a set of digit forms: `{a OR b OR c}`. */
export function phoneSearchQuery(forms: readonly string[]): string {
  return `{${forms.map(soslEscape).join(' OR ')}}`;
}

const RETURNING_FIELDS: Record<SalesforceTarget, string> = {
  Contact: 'Id, Phone, MobilePhone, Email, IndividualId, FirstName, LastName, MailingCountryCode',
  Lead: 'Id, Phone, MobilePhone, Email, IndividualId, FirstName, LastName, CountryCode, IsConverted',
};

/** What a search returns of a ContactPointPhone: the number and the Individual that owns it. */
export const CONTACT_POINT_PHONE_FIELDS = 'Id, TelephoneNumber, ParentId';

/**
 * `FIND {…} IN PHONE FIELDS RETURNING Contact(…), Lead(…)[, ContactPointPhone(…)]` over the targeted record types.
 * ContactPointPhone is only named when the org has (and uses) the object: naming a missing type fails the query.
 */
export function phoneSosl(
  forms: readonly string[],
  targets: readonly SalesforceTarget[],
  withContactPointPhone: boolean,
): string {
  const returning = targets.map((t) => `${t}(${RETURNING_FIELDS[t]})`);
  if (withContactPointPhone) returning.push(`ContactPointPhone(${CONTACT_POINT_PHONE_FIELDS})`);
  return `FIND ${phoneSearchQuery(forms)} IN PHONE FIELDS RETURNING ${returning.join(', ')}`;
}

/**
 * Groups people's digit forms into SOSL queries of at most SOSL_MAX_TERM_CHARS characters of terms. A person's
 * forms never straddle two queries.
 */
export function groupForms<T>(people: ReadonlyArray<{ key: T; forms: string[] }>): Array<{
  keys: T[];
  forms: string[];
}> {
  const groups: Array<{ keys: T[]; forms: string[]; chars: number }> = [];
  for (const person of people) {
    if (person.forms.length === 0) continue;
    const chars = person.forms.reduce((n, f) => n + f.length + 4, 0);
    const last = groups[groups.length - 1];
    if (last && last.chars + chars <= SOSL_MAX_TERM_CHARS) {
      last.keys.push(person.key);
      for (const f of person.forms) if (!last.forms.includes(f)) last.forms.push(f);
      last.chars += chars;
    } else {
      groups.push({ keys: [person.key], forms: [...person.forms], chars });
    }
  }
  return groups.map(({ keys, forms }) => ({ keys, forms }));
}

/**
 * Whether a record stored with these phone values is the person with these E.164 numbers: each value is read in
 * the record's own country, else the connection's region. A value that does not parse never matches.
 */
export function phoneMatches(
  values: ReadonlyArray<string | null | undefined>,
  region: string | null,
  phones: ReadonlySet<string>,
): boolean {
  return values.some((v) => {
    if (!v) return false;
    const e164 = normalisePhone(v, region);
    return e164 !== null && phones.has(e164);
  });
}

/** Whether a Contact or Lead carries one of the person's numbers (read in its own country, else `fallbackRegion`). */
export function personHasPhone(
  person: PersonRow,
  fallbackRegion: string | null,
  phones: ReadonlySet<string>,
): boolean {
  return phoneMatches([person.Phone, person.MobilePhone], recordRegion(person) ?? fallbackRegion, phones);
}
