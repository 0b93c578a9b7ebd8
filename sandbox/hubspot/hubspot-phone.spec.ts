import { calculatedPhoneValues, calculatePhone } from './hubspot-phone';
import type { ContactRecord } from './hubspot-state';

const contact = (properties: Record<string, string>): ContactRecord => ({
  id: '101',
  properties,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  archived: false,
});

describe('calculatePhone (HubSpot calculated phone values)', () => {
  it.each([
    ['+4915112345678', null],
    ['+49 1511 2345678', null],
    ['+49-1511-2345678', null],
    ['+49 (0)1511 2345678', null],
    ['  +49 1511 2345678 ', null],
    ['0049 1511 2345678', 'DE'],
    ['01511 2345678', 'DE'],
    ['0151 12345678', 'de'],
  ])('reads %j (country %s) as +4915112345678 / 15112345678', (typed, country) => {
    expect(calculatePhone(typed, country)).toEqual({
      international: '+4915112345678',
      national: '15112345678',
    });
  });

  it('reads US national forms in the US and drops an extension', () => {
    for (const typed of ['(650) 253-0000', '650.253.0000', '16502530000']) {
      expect(calculatePhone(typed, 'US')).toEqual({ international: '+16502530000', national: '6502530000' });
    }
    expect(calculatePhone('+1 650 253 0000 ext. 12')).toEqual({
      international: '+16502530000',
      national: '6502530000',
    });
  });

  it('gives no value for a number without "+" when no country is known', () => {
    expect(calculatePhone('01511 2345678', null)).toBeNull();
    expect(calculatePhone('(650) 253-0000')).toBeNull();
    expect(calculatePhone('4915112345678')).toBeNull();
  });

  it('gives no value for garbage, invalid numbers and unknown countries', () => {
    for (const typed of ['n/a', '12', 'call me', '', '   ', '+49', '+1 650 555 0123 4567']) {
      expect(calculatePhone(typed, 'DE')).toBeNull();
    }
    expect(calculatePhone('01511 2345678', 'Germany')).toBeNull();
    expect(calculatePhone('01511 2345678', 'XX')).toBeNull();
  });

  it('reads digits-only German numbers in DE as a different national number, as libphonenumber does', () => {
    expect(calculatePhone('4915112345678', 'DE')?.international).not.toBe('+4915112345678');
  });
});

describe('calculatedPhoneValues', () => {
  it('derives the phone and mobile properties from phone and mobilephone', () => {
    expect(
      calculatedPhoneValues(contact({ phone: '+49 1511 2345678', mobilephone: '(650) 253-0000' }), 'US'),
    ).toEqual({
      hs_searchable_calculated_phone_number: '15112345678',
      hs_searchable_calculated_international_phone_number: '+4915112345678',
      hs_searchable_calculated_mobile_number: '6502530000',
      hs_searchable_calculated_international_mobile_number: '+16502530000',
    });
  });

  it("reads national numbers in the contact's own country before the portal default", () => {
    const record = contact({ phone: '07911 123456', hs_country_region_code: 'GB' });
    expect(calculatedPhoneValues(record, 'DE').hs_searchable_calculated_international_phone_number).toBe(
      '+447911123456',
    );
  });

  it('falls back to the portal default country', () => {
    const record = contact({ phone: '01511 2345678' });
    expect(calculatedPhoneValues(record, undefined)).toEqual({});
    expect(calculatedPhoneValues(record, 'DE').hs_searchable_calculated_international_phone_number).toBe(
      '+4915112345678',
    );
  });

  it('recomputes when the phone changes', () => {
    const record = contact({ phone: '+4915112345678' });
    expect(calculatedPhoneValues(record).hs_searchable_calculated_phone_number).toBe('15112345678');
    record.properties.phone = '+4915212345678';
    expect(calculatedPhoneValues(record).hs_searchable_calculated_phone_number).toBe('15212345678');
    delete record.properties.phone;
    expect(calculatedPhoneValues(record)).toEqual({});
  });

  it('derives nothing from hs_whatsapp_phone_number', () => {
    expect(calculatedPhoneValues(contact({ hs_whatsapp_phone_number: '+4915112345678' }))).toEqual({});
  });
});
