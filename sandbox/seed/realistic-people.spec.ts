import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { realisticPeople, typePhone, type PhoneFormat } from './realistic-people';

const people = realisticPeople({ count: 2_000, seed: 7 });

describe('realisticPeople', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(realisticPeople({ count: 300, seed: 7 })).toEqual(people.slice(0, 300));
    expect(realisticPeople({ count: 300, seed: 8 })).not.toEqual(people.slice(0, 300));
    expect(realisticPeople({ count: 50 })).toEqual(realisticPeople({ count: 50, seed: 1 }));
  });

  it('returns count records', () => {
    expect(people).toHaveLength(2_000);
    expect(people.map((p) => p.index)).toEqual([...Array(2_000).keys()]);
  });

  it('gives every person a number that is valid in libphonenumber', () => {
    const numbers = people.filter((p) => p.e164 !== null).map((p) => p.e164!);
    expect(numbers.length).toBeGreaterThan(1_500);
    for (const e164 of numbers) {
      const parsed = parsePhoneNumberFromString(e164);
      expect(parsed?.isValid() && parsed.number === e164 ? e164 : `invalid ${e164}`).toBe(e164);
    }
  });

  it('types numbers in every format, each in more than one record', () => {
    const formats = new Map<PhoneFormat | null, number>();
    for (const p of people) formats.set(p.format, (formats.get(p.format) ?? 0) + 1);
    const expected: PhoneFormat[] = [
      'e164',
      'international',
      'international-dashed',
      'international-trunk',
      'idd-00',
      'national',
      'national-dotted',
      'international-extension',
      'digits',
      'malformed',
    ];
    for (const format of expected) expect([format, (formats.get(format) ?? 0) > 1]).toEqual([format, true]);
  });

  it('spreads records over phone, mobilephone, hs_whatsapp_phone_number and email only', () => {
    const properties = new Set(people.map((p) => p.property));
    expect([...properties].sort()).toEqual(['hs_whatsapp_phone_number', 'mobilephone', 'phone', null].sort());
    for (const p of people) expect(p.property === null).toBe(p.typed === null);
    const emailOnly = people.filter((p) => p.property === null);
    expect(emailOnly.length).toBeGreaterThan(50);
    for (const p of emailOnly) expect(p.email).not.toBeNull();
  });

  it('includes malformed values that are never matchable', () => {
    const malformed = people.filter((p) => p.format === 'malformed');
    expect(malformed.length).toBeGreaterThan(30);
    expect(new Set(malformed.map((p) => p.typed))).toEqual(
      new Set(['n/a', '12', 'call me', '-', 'unknown', '+49', '000']),
    );
    for (const p of malformed) expect([p.e164, p.expectedMatchable]).toEqual([null, false]);
  });

  it('includes duplicates: a second record of a person with the same number', () => {
    const duplicates = people.filter((p) => p.duplicate);
    expect(duplicates.length).toBeGreaterThan(50);
    for (const copy of duplicates) {
      const original = people.find((p) => p.personKey === copy.personKey && !p.duplicate);
      expect(original?.e164).toBe(copy.e164);
      expect(original!.index).toBeLessThan(copy.index);
    }
  });

  it('never gives two people one number', () => {
    const owners = new Map<string, string>();
    for (const p of people.filter((x) => x.e164)) {
      expect(owners.get(p.e164!) ?? p.personKey).toBe(p.personKey);
      owners.set(p.e164!, p.personKey);
    }
  });

  it('keeps emails unique case-insensitively, some in mixed case', () => {
    const emails = people.filter((p) => p.email).map((p) => p.email!);
    expect(new Set(emails.map((e) => e.toLowerCase())).size).toBe(emails.length);
    expect(emails.some((e) => e !== e.toLowerCase())).toBe(true);
    for (const e of emails) expect(e).toMatch(/^[A-Za-z.]+\.\d+\.\d+@(E|e)xample\.com$/);
  });

  it('gives countries as ISO alpha-2 or null', () => {
    expect(new Set(people.map((p) => p.country))).toEqual(new Set(['DE', 'US', 'GB', null]));
  });

  it('marks international forms matchable and national forms only with their own country', () => {
    const withCalculated = people.filter((p) => p.property === 'phone' || p.property === 'mobilephone');
    for (const p of withCalculated.filter((x) => x.typed?.startsWith('+') && x.e164)) {
      expect(p.expectedMatchable).toBe(true);
    }
    for (const p of withCalculated.filter((x) => x.format === 'national' && x.country === null)) {
      expect(p.expectedMatchable).toBe(false);
    }
    const whatsapp = people.filter((p) => p.property === 'hs_whatsapp_phone_number' && p.e164);
    for (const p of whatsapp) expect(p.expectedMatchable).toBe(p.typed === p.e164);
    expect(people.filter((p) => p.expectedMatchable).length).toBeGreaterThan(1_000);
    expect(people.filter((p) => p.e164 && !p.expectedMatchable).length).toBeGreaterThan(100);
  });

  it('follows regionShare', () => {
    const us = realisticPeople({ count: 200, seed: 3, regionShare: { DE: 0, GB: 0, US: 1 } });
    for (const p of us.filter((x) => x.e164)) expect(p.e164!.startsWith('+1')).toBe(true);
  });
});

describe('typePhone', () => {
  const de = parsePhoneNumberFromString('+4915112345678')!;
  const us = parsePhoneNumberFromString('+16502531212')!;

  it.each([
    ['e164', '+4915112345678'],
    ['international', '+49 1511 2345678'],
    ['international-dashed', '+49-1511-2345678'],
    ['international-trunk', '+49 (0)1511 2345678'],
    ['idd-00', '0049 1511 2345678'],
    ['national', '01511 2345678'],
    ['digits', '4915112345678'],
  ] as const)('types a German mobile as %s: %s', (format, typed) => {
    expect(typePhone(de, format)).toBe(typed);
  });

  it.each([
    ['national', '(650) 253-1212'],
    ['national-dotted', '650.253.1212'],
    ['international-extension', '+1 650 253 1212 ext. 12'],
    ['digits', '16502531212'],
  ] as const)('types a US number as %s: %s', (format, typed) => {
    expect(typePhone(us, format)).toBe(typed);
  });
});
