import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { generateRealisticRecords, type PhoneForm } from './realistic-seed';
import { SalesforceSimulator } from './salesforce-simulator';

const records = generateRealisticRecords({ contacts: 60, leads: 40, seed: 7 });

describe('realistic Salesforce seed', () => {
  it('is deterministic per seed and differs between seeds', () => {
    expect(generateRealisticRecords({ contacts: 60, leads: 40, seed: 7 })).toEqual(records);
    expect(generateRealisticRecords({ contacts: 60, leads: 40, seed: 8 })).not.toEqual(records);
  });

  it('produces the requested numbers of Contacts and Leads, with every phone form among each', () => {
    const forms = (type: string) => new Set(records.filter((r) => r.type === type).map((r) => r.form));
    const all: PhoneForm[] = [
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
    expect(records.filter((r) => r.type === 'Contact')).toHaveLength(60);
    expect(records.filter((r) => r.type === 'Lead')).toHaveLength(40);
    expect([...forms('Contact')].sort()).toEqual([...all].sort());
    expect([...forms('Lead')].sort()).toEqual([...all].sort());
  });

  it('types numbers the way people do', () => {
    const typed = (form: PhoneForm) => records.filter((r) => r.form === form).map((r) => r.typed ?? '');
    expect(typed('us-parens').every((t) => /^\(\d{3}\) \d{3}-\d{4}$/.test(t))).toBe(true);
    expect(typed('us-dots').every((t) => /^\d{3}\.\d{3}\.\d{4}$/.test(t))).toBe(true);
    expect(typed('us-international').every((t) => /^\+1 \d{3}-\d{3}-\d{4}$/.test(t))).toBe(true);
    expect(typed('de-international').every((t) => /^\+49 \d{4} \d{6,7}$/.test(t))).toBe(true);
    expect(typed('de-national').every((t) => /^0\d{3} \d{7,8}$/.test(t))).toBe(true);
    expect(typed('e164').every((t) => /^\+\d{10,14}$/.test(t))).toBe(true);
    expect(typed('digits-only').every((t) => /^1?\d{10}$/.test(t))).toBe(true);
    expect(typed('extension').every((t) => /(x|ext\.?) \d+$|x\d+$/.test(t))).toBe(true);
  });

  it('gives every well-formed number a valid E.164 that libphonenumber-js derives from the typed value', () => {
    // Several seeds, so that a number range libphonenumber-js refuses shows up even if one seed misses it.
    const wellFormed = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
      .flatMap((seed) => generateRealisticRecords({ contacts: 60, leads: 40, seed }))
      .filter((r) => r.typed !== null && r.form !== 'malformed');
    expect(wellFormed.length).toBeGreaterThan(700);
    for (const r of wellFormed) {
      const parsed = parsePhoneNumberFromString(
        r.typed!,
        (r.country ?? undefined) as CountryCode | undefined,
      );
      expect({ typed: r.typed, valid: parsed?.isValid(), e164: parsed?.number }).toEqual({
        typed: r.typed,
        valid: true,
        e164: r.expectedE164,
      });
    }
  });

  it('expects no number from malformed values and email-only records', () => {
    const none = records.filter((r) => r.form === 'malformed' || r.form === 'email-only');
    expect(none.every((r) => r.expectedE164 === null)).toBe(true);
    for (const r of none.filter((x) => x.form === 'malformed'))
      expect(parsePhoneNumberFromString(r.typed!, 'US')?.isValid() ?? false).toBe(false);
    expect(
      none.filter((r) => r.form === 'email-only').every((r) => r.phoneField === null && r.fields.Email),
    ).toBe(true);
  });

  it('writes the country to the fields Salesforce has for it on each object', () => {
    const de = records.filter((r) => r.form === 'de-national');
    expect(de.some((r) => r.type === 'Contact' && r.fields.MailingCountryCode === 'DE')).toBe(true);
    expect(de.some((r) => r.type === 'Lead' && r.fields.CountryCode === 'DE')).toBe(true);
    expect(records.some((r) => r.type === 'Lead' && 'MailingCountryCode' in r.fields)).toBe(false);
  });

  it('includes people who are both a Contact and a Lead, their number typed differently', () => {
    const byPerson = new Map<number, typeof records>();
    for (const r of records) byPerson.set(r.person, [...(byPerson.get(r.person) ?? []), r]);
    const duplicates = [...byPerson.values()].filter((rs) => rs.length > 1);
    expect(duplicates.length).toBeGreaterThanOrEqual(5);
    for (const rs of duplicates) {
      expect(rs.map((r) => r.type).sort()).toEqual(['Contact', 'Lead']);
      expect(rs[0].fields.Email).toBe(rs[1].fields.Email);
    }
    const sameNumberOtherForm = duplicates.filter(
      ([a, b]) => a.expectedE164 !== null && a.expectedE164 === b.expectedE164 && a.typed !== b.typed,
    );
    expect(sameNumberOtherForm.length).toBeGreaterThan(0);
  });

  it('creates the records in the simulator as written and returns their ids', () => {
    const sim = new SalesforceSimulator();
    const seeded = sim.seedRealistic({ contacts: 12, leads: 8, seed: 3 });
    expect(seeded).toHaveLength(20);
    for (const r of seeded) {
      const stored = sim.state.records[r.type].get(r.id)!;
      expect(r.id.slice(0, 3)).toBe(r.type === 'Contact' ? '003' : '00Q');
      if (r.phoneField) expect(stored[r.phoneField]).toBe(r.typed);
      expect(stored.Email).toBe(r.fields.Email);
    }
  });
});
