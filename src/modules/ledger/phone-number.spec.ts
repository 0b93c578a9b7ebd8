import { normalisePhone, toCountry } from './phone-number';

describe('normalisePhone: a number as people type it becomes E.164', () => {
  it.each([
    ['+4915112345678', null],
    ['+49 1511 2345678', null],
    ['+49-1511-2345678', null],
    ['+49.1511.2345678', null],
    ['+49 (0)1511 2345678', null],
    ['+49 (0) 1511-2345678', null],
    ['0049 1511 2345678', null],
    ['  +49 1511 2345678  ', null],
    ['4915112345678', null],
    ['4915112345678', 'DE'],
    ['01511 2345678', 'DE'],
    ['0151-12345678', 'de'],
    ['(01511) 2345678', 'DE'],
  ])('%s (region %s) is +4915112345678', (typed, region) => {
    expect(normalisePhone(typed, region)).toBe('+4915112345678');
  });

  it.each([
    ['(650) 555-1234', 'US', '+16505551234'],
    ['650.555.1234', 'US', '+16505551234'],
    ['1-650-555-1234', 'US', '+16505551234'],
    ['+1 (650) 555-1234', null, '+16505551234'],
    ['+1 650 555 1234 ext. 12', null, '+16505551234'],
    ['+1 650 555 1234 x12', null, '+16505551234'],
    ['(650) 555-1234 ext 7', 'US', '+16505551234'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['6502530000', 'US', '+16502530000'],
    ['16502530000', 'US', '+16502530000'],
    ['4915112345678', 'US', '+4915112345678'],
  ])('%s in region %s is %s', (typed, region, e164) => {
    expect(normalisePhone(typed, region)).toBe(e164);
  });

  it('needs a region for a national number: without one it is not a number', () => {
    expect(normalisePhone('01511 2345678')).toBeNull();
    expect(normalisePhone('(650) 555-1234')).toBeNull();
  });

  it('prefers the international reading when the number says so, whatever the region', () => {
    expect(normalisePhone('+1 650 555 1234', 'DE')).toBe('+16505551234');
    expect(normalisePhone('0049 1511 2345678', 'US')).toBe('+4915112345678');
  });

  it.each(['', '   ', 'n/a', 'call me', '12', '+49', '99999999999999999', 'x'.repeat(80), '+1 555 0100'])(
    'refuses %j',
    (typed) => {
      expect(normalisePhone(typed, 'DE')).toBeNull();
    },
  );
});

describe('toCountry', () => {
  it('accepts ISO 3166 alpha-2 codes libphonenumber knows, in any case', () => {
    expect(toCountry('de')).toBe('DE');
    expect(toCountry(' US ')).toBe('US');
  });
  it.each(['', 'Germany', 'DEU', 'ZZ', '49'])('refuses %j', (region) => {
    expect(toCountry(region)).toBeNull();
  });
});
