import {
  groupForms,
  personHasPhone,
  phoneDigitForms,
  phoneSosl,
  soslEscape,
  SOSL_MAX_TERM_CHARS,
} from './salesforce.phone-search';
import type { PersonRow } from './salesforce.types';

describe('phoneDigitForms', () => {
  it('searches a German mobile with its country code, its national number and the trunk 0', () => {
    expect(phoneDigitForms('+4915112345678')).toEqual([
      '4915112345678',
      '15112345678',
      '015112345678',
      '004915112345678',
      '49015112345678',
    ]);
  });

  it('searches a US number with and without the country code (the US has no trunk prefix)', () => {
    expect(phoneDigitForms('+16502530000')).toEqual(['16502530000', '6502530000', '0016502530000']);
  });

  it('has nothing to search for a value that is not a number', () => {
    expect(phoneDigitForms('not a phone')).toEqual([]);
  });
});

describe('phoneSosl', () => {
  it('ORs the forms and returns the targeted types with their country fields', () => {
    expect(phoneSosl(['16502530000', '6502530000'], ['Contact', 'Lead'], false)).toBe(
      'FIND {16502530000 OR 6502530000} IN PHONE FIELDS RETURNING ' +
        'Contact(Id, Phone, MobilePhone, Email, IndividualId, FirstName, LastName, MailingCountryCode), ' +
        'Lead(Id, Phone, MobilePhone, Email, IndividualId, FirstName, LastName, CountryCode, IsConverted)',
    );
  });

  it('names ContactPointPhone only when the org uses it', () => {
    expect(phoneSosl(['6502530000'], ['Contact'], true)).toMatch(
      /RETURNING Contact\(.*\), ContactPointPhone\(Id, TelephoneNumber, ParentId\)$/,
    );
  });

  it("escapes SOSL's reserved characters", () => {
    expect(soslEscape('+1 (650) 253-0000')).toBe('\\+1 \\(650\\) 253\\-0000');
    expect(soslEscape('a?b*c"d\'e\\f{g}')).toBe('a\\?b\\*c\\"d\\\'e\\\\f\\{g\\}');
  });
});

describe('groupForms', () => {
  it('puts several people into one query and keeps each person whole', () => {
    const people = Array.from({ length: 100 }, (_, i) => ({
      key: i,
      forms: phoneDigitForms(`+1650555${String(i).padStart(4, '0')}`),
    }));
    const groups = groupForms(people);
    expect(groups.length).toBeGreaterThan(1);
    expect(groups.length).toBeLessThan(10);
    expect(groups.flatMap((g) => g.keys)).toEqual(people.map((p) => p.key));
    for (const g of groups) {
      expect(g.forms.join(' OR ').length).toBeLessThanOrEqual(SOSL_MAX_TERM_CHARS);
      for (const k of g.keys) expect(g.forms).toEqual(expect.arrayContaining(people[k].forms));
    }
  });
});

describe('personHasPhone', () => {
  const person = (fields: Partial<PersonRow>): PersonRow => ({
    Id: '003xx0000000001AAA',
    IndividualId: null,
    Phone: null,
    MobilePhone: null,
    ...fields,
  });
  const phones = new Set(['+16502530000']);

  it('reads a national number in the connection region when the record has no country', () => {
    expect(personHasPhone(person({ Phone: '(650) 253-0000' }), 'US', phones)).toBe(true);
    expect(personHasPhone(person({ Phone: '(650) 253-0000' }), null, phones)).toBe(false);
  });

  it("reads a national number in the record's own country before the connection region", () => {
    const german = person({ MobilePhone: '0151 12345678', MailingCountryCode: 'DE' });
    expect(personHasPhone(german, 'US', new Set(['+4915112345678']))).toBe(true);
    // The same digits in another country are another person.
    const british = person({ Phone: '650 253 0000', MailingCountryCode: 'GB' });
    expect(personHasPhone(british, 'US', phones)).toBe(false);
  });

  it('checks MobilePhone as well as Phone', () => {
    expect(
      personHasPhone(person({ Phone: '+44 20 7946 0000', MobilePhone: '+1 650-253-0000' }), null, phones),
    ).toBe(true);
  });
});
