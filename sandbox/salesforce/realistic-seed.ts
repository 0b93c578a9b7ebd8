import { isValidPhoneNumber } from 'libphonenumber-js';

/**
 * Contacts and Leads whose phone numbers look the way people type them into Salesforce (which stores phone fields
 * as typed): US formats "(650) 253-0000", "650.253.0000", "+1 650-253-0000", German "+49 1511 2345678" and
 * "0151 2345678" (with the country on the record), E.164, digits only, extensions, malformed values ("n/a", "123"),
 * records with an email and no phone, and the same person as both a Contact and a Lead with the number written
 * differently. Deterministic for a given seed. Every well-formed number is a valid number (built from ranges that
 * libphonenumber-js accepts, drawn again when it does not; the spec checks each one), and each record comes with the E.164 number a correct
 * normaliser must derive from it, or null when no number can be derived.
 */

export interface RealisticSeedOptions {
  contacts: number;
  leads: number;
  /** Same seed, same records (default 1). */
  seed?: number;
}

export type PhoneForm =
  | 'us-parens'
  | 'us-dots'
  | 'us-international'
  | 'de-international'
  | 'de-national'
  | 'e164'
  | 'digits-only'
  | 'extension'
  | 'malformed'
  | 'email-only';

export interface GeneratedRecord {
  type: 'Contact' | 'Lead';
  /** The fields as written to Salesforce. */
  fields: Record<string, unknown>;
  form: PhoneForm;
  /** The phone field that holds the number, null for email-only records. */
  phoneField: 'Phone' | 'MobilePhone' | null;
  /** The phone value exactly as stored, null for email-only records. */
  typed: string | null;
  /** ISO country of the record (MailingCountryCode / CountryCode), null when the record has none. */
  country: string | null;
  expectedE164: string | null;
  /** Records of the same person (a Contact and a Lead) share this number. */
  person: number;
}

export interface RealisticRecord extends GeneratedRecord {
  id: string;
}

/** What seeding needs from the simulator (kept structural to avoid an import cycle). */
export interface Seedable {
  seed(input: { records: Record<string, Array<Record<string, unknown>>> }): Record<string, string[]>;
}

const FORMS: PhoneForm[] = [
  'us-parens',
  'us-dots',
  'us-international',
  'de-international',
  'de-national',
  'e164',
  'digits-only',
  'extension',
  'malformed',
  'email-only',
];

const COUNTRY_NAMES: Record<string, string> = {
  US: 'United States',
  DE: 'Germany',
  GB: 'United Kingdom',
  FR: 'France',
};

const FIRST = [
  'Anna',
  'Ben',
  'Chloé',
  'Daniel',
  'Elif',
  'Felix',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemal',
  'Lena',
];
const LAST = [
  'Müller',
  'Smith',
  "O'Brien",
  'García',
  'Nguyen',
  'Schmidt',
  'Okafor',
  'Rossi',
  'Kowalski',
  'Lee',
];
const MALFORMED = ['n/a', '123', 'call reception', '-', '0000'];

// US area codes in service; exchanges start with 2-9 and avoid N11 and 555 (libphonenumber-js treats many 555 lines
// as invalid).
const US_AREAS = ['650', '415', '212', '312', '617', '206', '303', '512', '646', '408'];
// German mobile prefixes with their subscriber lengths (national significant number 10 or 11 digits).
const DE_MOBILE = [
  { prefix: '151', rest: 8 },
  { prefix: '160', rest: 7 },
  { prefix: '170', rest: 7 },
  { prefix: '171', rest: 7 },
  { prefix: '176', rest: 8 },
  { prefix: '179', rest: 7 },
];

/** mulberry32: a small deterministic PRNG. */
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

interface Person {
  n: number;
  first: string;
  last: string;
  email: string;
  /** National significant numbers of the person's US and German phones, and a third country's number in E.164. */
  us: string;
  de: string;
  intl: { e164: string; country: string };
}

function makePerson(n: number, rnd: () => number): Person {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const digits = (len: number) => Array.from({ length: len }, () => Math.floor(rnd() * 10)).join('');
  // Drawn until libphonenumber-js accepts the number: allocation holes (some UK 7911 blocks, pager ranges) are
  // not worth encoding here, and a seed must never yield a number the gateway may rightly refuse as invalid.
  const draw = (make: () => string) => {
    for (;;) {
      const e164 = make();
      if (isValidPhoneNumber(e164)) return e164;
    }
  };
  const us = draw(() => {
    let exchange = '';
    while (/^.11$|^555$|^$/.test(exchange)) exchange = String(200 + Math.floor(rnd() * 800));
    return `+1${pick(US_AREAS)}${exchange}${digits(4)}`;
  }).slice(2);
  const de = draw(() => {
    const mobile = pick(DE_MOBILE);
    return `+49${mobile.prefix}${digits(mobile.rest)}`;
  }).slice(3);
  // Other countries appear only in E.164: UK mobiles 7[45789]xx xxxxxx (76 is pagers), French mobiles 6xx xx xx xx.
  const intl =
    rnd() < 0.5
      ? { e164: draw(() => `+44${pick(['74', '75', '77', '78', '79'])}${digits(8)}`), country: 'GB' }
      : { e164: draw(() => `+336${digits(8)}`), country: 'FR' };
  const first = pick(FIRST);
  const last = pick(LAST);
  const local = `${first}.${last}`
    .normalize('NFD')
    .replace(/[^A-Za-z.]/g, '')
    .toLowerCase();
  return { n, first, last, email: `${local}.${n}@example.com`, us, de, intl };
}

/** How a person's number is typed in one form, with the record's country and the E.164 it stands for. */
function typedPhone(
  person: Person,
  form: PhoneForm,
  rnd: () => number,
): { typed: string | null; country: string | null; e164: string | null } {
  const { us, de } = person;
  const [a, x, s] = [us.slice(0, 3), us.slice(3, 6), us.slice(6)];
  const usE164 = `+1${us}`;
  const deE164 = `+49${de}`;
  switch (form) {
    case 'us-parens':
      return { typed: `(${a}) ${x}-${s}`, country: 'US', e164: usE164 };
    case 'us-dots':
      return { typed: `${a}.${x}.${s}`, country: 'US', e164: usE164 };
    case 'us-international':
      return { typed: `+1 ${a}-${x}-${s}`, country: rnd() < 0.5 ? 'US' : null, e164: usE164 };
    case 'de-international':
      return {
        typed: `+49 ${de.slice(0, 4)} ${de.slice(4)}`,
        country: rnd() < 0.5 ? 'DE' : null,
        e164: deE164,
      };
    case 'de-national':
      return { typed: `0${de.slice(0, 3)} ${de.slice(3)}`, country: 'DE', e164: deE164 };
    case 'e164':
      return rnd() < 0.5
        ? { typed: usE164, country: null, e164: usE164 }
        : { typed: person.intl.e164, country: person.intl.country, e164: person.intl.e164 };
    case 'digits-only':
      return { typed: rnd() < 0.5 ? us : `1${us}`, country: 'US', e164: usE164 };
    case 'extension': {
      const ext = String(1 + Math.floor(rnd() * 9999));
      const typed = [
        `(${a}) ${x}-${s} x${ext}`,
        `+1 ${a}-${x}-${s} ext. ${ext}`,
        `${a}.${x}.${s} ext ${ext}`,
      ][Math.floor(rnd() * 3)];
      return { typed, country: 'US', e164: usE164 };
    }
    case 'malformed':
      return { typed: MALFORMED[Math.floor(rnd() * MALFORMED.length)], country: null, e164: null };
    case 'email-only':
      return { typed: null, country: null, e164: null };
  }
}

function record(
  type: 'Contact' | 'Lead',
  person: Person,
  form: PhoneForm,
  rnd: () => number,
): GeneratedRecord {
  const { typed, country, e164 } = typedPhone(person, form, rnd);
  const phoneField = typed === null ? null : rnd() < 0.5 ? 'Phone' : 'MobilePhone';
  const fields: Record<string, unknown> = {
    FirstName: person.first,
    LastName: person.last,
    Email: person.email,
  };
  if (phoneField) fields[phoneField] = typed;
  if (country) {
    const [text, code] =
      type === 'Contact' ? ['MailingCountry', 'MailingCountryCode'] : ['Country', 'CountryCode'];
    fields[text] = COUNTRY_NAMES[country];
    fields[code] = country;
  }
  if (type === 'Lead') fields.Company = `${person.last} GmbH`;
  return { type, fields, form, phoneField, typed, country, expectedE164: e164, person: person.n };
}

/**
 * The records, without ids. Forms rotate so that every form appears once there are at least ten records of a type;
 * every fifth Lead is a second record of an already generated Contact's person, typed in another form.
 */
export function generateRealisticRecords(options: RealisticSeedOptions): GeneratedRecord[] {
  const rnd = prng(options.seed ?? 1);
  const offset = Math.floor(rnd() * FORMS.length);
  const out: GeneratedRecord[] = [];
  const people: Person[] = [];
  for (let i = 0; i < options.contacts; i++) {
    const person = makePerson(people.length + 1, rnd);
    people.push(person);
    out.push(record('Contact', person, FORMS[(offset + i) % FORMS.length], rnd));
  }
  let fresh = 0;
  for (let i = 0; i < options.leads; i++) {
    const duplicate = i % 5 === 4 && options.contacts > 0;
    const person = duplicate
      ? people[Math.floor(rnd() * Math.min(people.length, options.contacts))]
      : undefined;
    const owner = person ?? makePerson(people.length + 1, rnd);
    if (!person) people.push(owner);
    // A duplicate is typed in a form that yields a number, and another one than its first record's.
    const form = duplicate
      ? FORMS.slice(0, 8)[(FORMS.indexOf(out[owner.n - 1]?.form ?? 'e164') + 1 + i) % 8]
      : FORMS[(offset + 3 + fresh++) % FORMS.length];
    out.push(record('Lead', owner, form, rnd));
  }
  return out;
}

/** Generates the records and creates them in the simulator (as seeded data: SOSL finds them at once). */
export function seedRealisticRecords(sim: Seedable, options: RealisticSeedOptions): RealisticRecord[] {
  const generated = generateRealisticRecords(options);
  const contacts = generated.filter((r) => r.type === 'Contact');
  const leads = generated.filter((r) => r.type === 'Lead');
  const ids = sim.seed({
    records: { Contact: contacts.map((r) => r.fields), Lead: leads.map((r) => r.fields) },
  });
  return [
    ...contacts.map((r, i) => ({ ...r, id: ids.Contact[i] })),
    ...leads.map((r, i) => ({ ...r, id: ids.Lead[i] })),
  ];
}
