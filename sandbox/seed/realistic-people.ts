import { parsePhoneNumberFromString, type PhoneNumber } from 'libphonenumber-js';

/**
 * Deterministic people as a real CRM holds them: phone numbers typed in many formats, in different
 * properties, with or without a country, duplicates, email-only and malformed records. Every generated
 * number is VALID in libphonenumber (real mobile ranges), so a miss in a test is the code's fault, not the
 * data's.
 */

export type PhoneRegion = 'DE' | 'US' | 'GB';

export type PhoneProperty = 'phone' | 'mobilephone' | 'hs_whatsapp_phone_number';

export type PhoneFormat =
  /** "+4915112345678" */
  | 'e164'
  /** "+49 1511 2345678" */
  | 'international'
  /** "+49-1511-2345678" */
  | 'international-dashed'
  /** "+49 (0)1511 2345678" (not for NANP numbers: they have no trunk "0") */
  | 'international-trunk'
  /** "0049 1511 2345678" (the "00" international prefix of Europe) */
  | 'idd-00'
  /** "01511 2345678", "(650) 253-0000": needs the country to be read */
  | 'national'
  /** "650.253.0000" (US habit) */
  | 'national-dotted'
  /** "+1 650 253 0000 ext. 12" */
  | 'international-extension'
  /** "4915112345678": country code first, no '+' (WhatsApp's wa_id form) */
  | 'digits'
  /** "n/a", "12", "call me" */
  | 'malformed';

export interface RealisticPerson {
  /** Position in the generated list (0-based). */
  index: number;
  /** The human: both records of a duplicated person share it. */
  personKey: string;
  /** True for the second record of a person (same number, another format / property / email). */
  duplicate: boolean;
  firstname: string;
  lastname: string;
  /** Unique across the list, case-insensitively (HubSpot's uniqueness rule); mixed case on purpose. */
  email: string | null;
  /** The person's real number; null when the record holds no usable number (malformed / email only). */
  e164: string | null;
  /** Exactly what is written to `property`; null for email-only records. */
  typed: string | null;
  format: PhoneFormat | null;
  /** The property holding `typed`; null = email only. */
  property: PhoneProperty | null;
  /** `hs_country_region_code` of the record (ISO alpha-2), or null when the record has none. */
  country: PhoneRegion | null;
  /**
   * Whether a search for `e164` finds this record in a portal WITHOUT a default country: through the
   * calculated international properties for `phone` / `mobilephone` (values with '+' always, national /
   * "00" / digits-only values only when the record's country reads them correctly), through the stored
   * string (EQ, trimmed) for `hs_whatsapp_phone_number`, which has no calculated counterpart.
   */
  expectedMatchable: boolean;
}

export interface RealisticPeopleOptions {
  /** Number of records (a duplicated person counts twice). */
  count: number;
  /** PRNG seed; the same seed gives the same people. Default 1. */
  seed?: number;
  /** Relative weights of the numbers' countries; default DE 0.5, US 0.3, GB 0.2. */
  regionShare?: Partial<Record<PhoneRegion, number>>;
}

const FIRST = [
  'Anna',
  'Ben',
  'Clara',
  'David',
  'Elif',
  'Felix',
  'Grace',
  'Hannah',
  'Ivan',
  'Jana',
  'Kofi',
  'Lena',
];
const LAST = [
  'Müller',
  'Schmidt',
  'Smith',
  'Johnson',
  'Brown',
  'Weber',
  'Taylor',
  'Garcia',
  'Nguyen',
  'Wilson',
];
const MALFORMED = ['n/a', '12', 'call me', '-', 'unknown', '+49', '000'];

/** Formats a record of each region is typed in. */
const FORMATS: Record<PhoneRegion, PhoneFormat[]> = {
  DE: [
    'e164',
    'international',
    'international-dashed',
    'international-trunk',
    'idd-00',
    'national',
    'digits',
  ],
  GB: [
    'e164',
    'international',
    'international-dashed',
    'international-trunk',
    'idd-00',
    'national',
    'digits',
  ],
  US: [
    'e164',
    'international',
    'international-dashed',
    'national',
    'national-dotted',
    'international-extension',
    'digits',
  ],
};

/** Mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)];
const digits = (random: Random, n: number) =>
  Array.from({ length: n }, () => Math.floor(random() * 10)).join('');

/** A candidate national number in a real mobile range (checked with isValid() by the caller). */
function candidate(random: Random, region: PhoneRegion): string {
  switch (region) {
    case 'DE': {
      // 151/152: 8 subscriber digits; 160, 170-179: 7 (both lengths are valid there).
      const prefix = pick(random, [
        '151',
        '152',
        '160',
        '170',
        '171',
        '172',
        '173',
        '174',
        '175',
        '176',
        '177',
        '178',
        '179',
      ]);
      return `+49${prefix}${digits(random, prefix.startsWith('15') ? 8 : 7)}`;
    }
    case 'GB':
      // 074xx-079xx mobiles (07700 900xxx is Ofcom's drama range and invalid in libphonenumber).
      return `+447${pick(random, ['4', '5', '7', '8', '9'])}${digits(random, 8)}`;
    case 'US': {
      // Exchange 2xx-9xx, never 555 (555-01xx is fictional and invalid in libphonenumber).
      const exchange = `${2 + Math.floor(random() * 8)}${digits(random, 2)}`;
      return `+1${pick(random, ['650', '415', '212', '312', '617'])}${exchange === '555' ? '253' : exchange}${digits(random, 4)}`;
    }
  }
}

function uniqueNumber(random: Random, region: PhoneRegion, used: Set<string>): PhoneNumber {
  for (;;) {
    const parsed = parsePhoneNumberFromString(candidate(random, region));
    if (parsed?.isValid() && !used.has(parsed.number)) {
      used.add(parsed.number);
      return parsed;
    }
  }
}

/** `number` typed in `format`. */
export function typePhone(number: PhoneNumber, format: PhoneFormat): string {
  const international = number.formatInternational();
  const national = number.formatNational();
  switch (format) {
    case 'e164':
      return number.number;
    case 'international':
      return international;
    case 'international-dashed':
      return international.replace(/\s+/g, '-');
    case 'international-trunk':
      return `+${number.countryCallingCode} (0)${national.replace(/^0/, '')}`;
    case 'idd-00':
      return `00${international.slice(1)}`;
    case 'national':
      return national;
    case 'national-dotted':
      return number.nationalNumber.replace(/^(\d{3})(\d{3})(\d{4})$/, '$1.$2.$3');
    case 'international-extension':
      return `${international} ext. ${number.number.slice(-2)}`;
    case 'digits':
      return number.number.slice(1);
    case 'malformed':
      return 'n/a';
  }
}

/**
 * Whether HubSpot's calculated international value (sandbox/hubspot/hubspot-phone.ts) equals the number,
 * stated per format rather than computed, so a spec can hold the simulator against it.
 */
function calculatedMatches(format: PhoneFormat, region: PhoneRegion, country: PhoneRegion | null): boolean {
  switch (format) {
    case 'e164':
    case 'international':
    case 'international-dashed':
    case 'international-trunk':
    case 'international-extension':
      return true;
    case 'idd-00':
      // "00" is the international prefix in DE and GB, not in the US (011).
      return country === 'DE' || country === 'GB';
    case 'national':
    case 'national-dotted':
      return country === region;
    case 'digits':
      // Read in the number's own country, libphonenumber recognises the leading country code for the
      // fixed-length US and GB plans; German numbers have variable length, so "4915112345678" is a valid
      // (different) national number in DE and never the person's.
      return country === region && region !== 'DE';
    case 'malformed':
      return false;
  }
}

function region(random: Random, share: Record<PhoneRegion, number>): PhoneRegion {
  const entries = Object.entries(share) as Array<[PhoneRegion, number]>;
  const total = entries.reduce((n, [, w]) => n + Math.max(0, w), 0);
  let r = random() * total;
  for (const [name, weight] of entries) {
    r -= Math.max(0, weight);
    if (r < 0) return name;
  }
  return entries[entries.length - 1][0];
}

interface Draft {
  number: PhoneNumber;
  region: PhoneRegion;
  firstname: string;
  lastname: string;
  personKey: string;
}

/** One record of a person holding a number: format, property and country drawn at random. */
function phoneRecord(random: Random, draft: Draft, seed: number, index: number, withEmail: boolean) {
  const property: PhoneProperty = pick(random, [
    'phone',
    'phone',
    'mobilephone',
    'mobilephone',
    'hs_whatsapp_phone_number',
  ]);
  // WhatsApp integrations write E.164 or WhatsApp's digits-only form, not what people type.
  const format: PhoneFormat =
    property === 'hs_whatsapp_phone_number'
      ? pick(random, ['e164', 'e164', 'e164', 'digits'] as const)
      : pick(random, FORMATS[draft.region]);
  // Most records know their country; some do not (then national forms cannot be read).
  const country = random() < 0.7 ? draft.region : null;
  const typed = typePhone(draft.number, format);
  const expectedMatchable =
    property === 'hs_whatsapp_phone_number'
      ? typed.trim() === draft.number.number
      : calculatedMatches(format, draft.region, country);
  return {
    property,
    format,
    country,
    typed,
    expectedMatchable,
    email: withEmail ? email(draft, seed, index) : null,
  };
}

function email(draft: { firstname: string; lastname: string }, seed: number, index: number): string {
  const local = `${draft.firstname}.${draft.lastname}`.normalize('NFD').replace(/[^A-Za-z.]/g, '');
  // Mixed case on purpose: HubSpot's email uniqueness is case-insensitive.
  return `${local}.${seed}.${index}@${index % 3 === 0 ? 'Example.com' : 'example.com'}`;
}

/**
 * `count` records, deterministic for a seed: about 8% email-only, 6% malformed phones, 8% second records
 * of an earlier person (same number in another format or property), the rest one person each.
 */
export function realisticPeople(options: RealisticPeopleOptions): RealisticPerson[] {
  const seed = options.seed ?? 1;
  const random = prng(seed);
  const share = { DE: 0.5, US: 0.3, GB: 0.2, ...options.regionShare };
  const used = new Set<string>();
  const drafts: Draft[] = [];
  const people: RealisticPerson[] = [];
  for (let index = 0; index < options.count; index++) {
    const firstname = pick(random, FIRST);
    const lastname = pick(random, LAST);
    const base = { index, firstname, lastname, duplicate: false };
    const roll = random();
    if (roll < 0.08) {
      const personKey = `p${index}`;
      people.push({
        ...base,
        personKey,
        email: email(base, seed, index),
        e164: null,
        typed: null,
        format: null,
        property: null,
        country: null,
        expectedMatchable: false,
      });
      continue;
    }
    if (roll < 0.14) {
      const personKey = `p${index}`;
      const country = random() < 0.5 ? pick(random, ['DE', 'US', 'GB'] as const) : null;
      const property = pick(random, ['phone', 'mobilephone', 'hs_whatsapp_phone_number'] as const);
      const typed = pick(random, MALFORMED);
      people.push({
        ...base,
        personKey,
        email: email(base, seed, index),
        e164: null,
        typed,
        format: 'malformed',
        property,
        country,
        expectedMatchable: false,
      });
      continue;
    }
    if (roll < 0.22 && drafts.length > 0) {
      // The same human entered twice (an import and a form): same number, no or another email.
      const draft = pick(random, drafts);
      const record = phoneRecord(random, draft, seed, index, random() < 0.5);
      people.push({
        ...base,
        firstname: draft.firstname,
        lastname: draft.lastname,
        personKey: draft.personKey,
        duplicate: true,
        e164: draft.number.number,
        ...record,
      });
      continue;
    }
    const numberRegion = region(random, share);
    const draft: Draft = {
      number: uniqueNumber(random, numberRegion, used),
      region: numberRegion,
      firstname,
      lastname,
      personKey: `p${index}`,
    };
    drafts.push(draft);
    const record = phoneRecord(random, draft, seed, index, random() < 0.85);
    people.push({ ...base, personKey: draft.personKey, e164: draft.number.number, ...record });
  }
  return people;
}
