import {
  CandidateIndex,
  lookupFilters,
  lookupProperties,
  nationalDigits,
  packFilters,
} from './hubspot-lookup';

const RAW = ['hs_whatsapp_phone_number', 'mobilephone', 'phone'];

describe(lookupFilters.name, () => {
  it('searches the E.164 value in the calculated international and raw properties, the national digits in the calculated national ones, and the emails', () => {
    const filters = lookupFilters({ phones: ['+4915112345678'], emails: ['jane@example.com'] }, RAW);
    expect(filters).toEqual([
      { propertyName: 'hs_searchable_calculated_international_phone_number', values: ['+4915112345678'] },
      { propertyName: 'hs_searchable_calculated_international_mobile_number', values: ['+4915112345678'] },
      { propertyName: 'hs_searchable_calculated_phone_number', values: ['15112345678'] },
      { propertyName: 'hs_searchable_calculated_mobile_number', values: ['15112345678'] },
      { propertyName: 'hs_whatsapp_phone_number', values: ['+4915112345678'] },
      { propertyName: 'mobilephone', values: ['+4915112345678'] },
      { propertyName: 'phone', values: ['+4915112345678'] },
      { propertyName: 'email', values: ['jane@example.com'] },
    ]);
  });

  it('splits the values at 100 per IN filter and leaves out properties with nothing to search', () => {
    const phones = Array.from({ length: 150 }, (_, i) => `+49151${String(i).padStart(8, '0')}`);
    const filters = lookupFilters({ phones, emails: [] }, ['phone']);
    expect(filters.every((f) => f.values.length <= 100)).toBe(true);
    expect(filters.filter((f) => f.propertyName === 'phone').map((f) => f.values.length)).toEqual([100, 50]);
    expect(filters.some((f) => f.propertyName === 'email')).toBe(false);
  });

  it('packs the filters into requests of at most 5 groups of one filter each', () => {
    const phones = Array.from({ length: 150 }, (_, i) => `+49151${String(i).padStart(8, '0')}`);
    const requests = packFilters(lookupFilters({ phones, emails: ['a@example.com'] }, RAW));
    expect(requests.flat()).toHaveLength(15);
    expect(requests.every((r) => r.length <= 5)).toBe(true);
  });
});

describe(nationalDigits.name, () => {
  it('is the national significant number of an E.164 value', () => {
    expect(nationalDigits('+4915112345678')).toBe('15112345678');
    expect(nationalDigits('+16502530000')).toBe('6502530000');
  });
});

describe(lookupProperties.name, () => {
  it('asks for everything verification reads', () => {
    expect(lookupProperties(['phone'])).toEqual([
      'phone',
      'email',
      'hs_country_region_code',
      'lastmodifieddate',
    ]);
  });
});

describe(CandidateIndex.name, () => {
  const person = ['+4915112345678'];

  it("keeps a candidate whose stored number, however typed, is one of the person's phones", () => {
    const index = new CandidateIndex(RAW, null);
    index.add({ id: '1', properties: { phone: '+49 (0)151 1234-5678' } });
    index.add({ id: '2', properties: { mobilephone: '0049 151 12345678 ext. 9' } });
    index.add({ id: '3', properties: { phone: '0151 12345678', hs_country_region_code: 'DE' } });
    index.add({ id: '4', properties: { hs_whatsapp_phone_number: '4915112345678' } });
    expect(index.recordsOf(person, [])).toEqual(['1', '2', '3', '4']);
  });

  it('reads national numbers in the connection region when the record has no country', () => {
    const withRegion = new CandidateIndex(RAW, 'DE');
    const without = new CandidateIndex(RAW, null);
    for (const index of [withRegion, without]) index.add({ id: '5', properties: { phone: '0151 12345678' } });
    expect(withRegion.recordsOf(person, [])).toEqual(['5']);
    expect(without.recordsOf(person, [])).toEqual([]);
  });

  it('drops a candidate with the same national digits in another country', () => {
    const index = new CandidateIndex(RAW, 'DE');
    index.add({ id: '6', properties: { phone: '015112345678', hs_country_region_code: 'AT' } });
    index.add({ id: '7', properties: { phone: '+43 15112345678' } });
    expect(index.recordsOf(person, [])).toEqual([]);
  });

  it('keeps a candidate by email, case-insensitively', () => {
    const index = new CandidateIndex(RAW, null);
    index.add({ id: '8', properties: { email: 'Jane@Example.com ' } });
    expect(index.recordsOf([], ['jane@example.com'])).toEqual(['8']);
    expect(index.recordsOf([], ['JANE@example.com'])).toEqual(['8']);
  });
});
