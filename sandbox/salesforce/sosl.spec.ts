import { toId18 } from './ids';
import { SalesforceApiError } from './soql';
import { parseSosl, phoneDigits, runSosl, SOSL_MAX_ROWS, type SearchCandidate } from './sosl';
import type { ObjectDef } from './schema';

const contact = (n: number, fields: Record<string, unknown>) => ({
  Id: toId18(`003xx000000000${n}`)!,
  IndividualId: null,
  ...fields,
});
const lead = (n: number, fields: Record<string, unknown>) => ({
  Id: toId18(`00Qxx000000000${n}`)!,
  ...fields,
});

const records: Record<string, Array<Record<string, unknown>>> = {
  Contact: [
    contact(1, { Phone: '(650) 253-0000', MobilePhone: null }),
    contact(2, { Phone: null, MobilePhone: '+49 1511 2345678' }),
    contact(3, { Phone: '0151 12345678', MobilePhone: 'n/a' }),
    contact(4, { Phone: '+1 650-253-0000 ext. 12' }),
  ],
  Lead: [lead(1, { Phone: '650.253.0000', MobilePhone: null }), lead(2, { Phone: null, MobilePhone: null })],
};
const everything = (object: ObjectDef): SearchCandidate[] =>
  (records[object.name] ?? []).map((r) => ({ indexed: r, current: r }));

const search = (sosl: string) =>
  runSosl(parseSosl(sosl, 62), everything, '/services/data/v62.0').searchRecords.map(
    (r) => `${(r.attributes as { type: string }).type}:${String(r.Phone ?? r.MobilePhone)}`,
  );
const errorOf = (sosl: string) => {
  try {
    parseSosl(sosl, 62);
  } catch (err) {
    return `${(err as SalesforceApiError).status} ${(err as SalesforceApiError).errorCode}`;
  }
  return 'OK';
};

describe('SOSL phone search', () => {
  it('matches a record when the digits of a stored phone equal the digits of the term', () => {
    expect(search('FIND {6502530000} IN PHONE FIELDS RETURNING Contact(Id, Phone), Lead(Id, Phone)')).toEqual(
      ['Contact:(650) 253-0000', 'Lead:650.253.0000'],
    );
  });

  it('does not match on a partial digit string (stricter than Salesforce: equality, not token matching)', () => {
    expect(search('FIND {16502530000} IN PHONE FIELDS RETURNING Contact(Phone), Lead(Phone)')).toEqual([]);
    expect(search('FIND {2530000} IN PHONE FIELDS RETURNING Contact(Phone)')).toEqual([]);
    // An extension's digits are part of the stored digits, so the plain number does not match it.
    expect(search('FIND {165025300001} IN PHONE FIELDS RETURNING Contact(Phone)')).toEqual([]);
    expect(search('FIND {1650253000012} IN PHONE FIELDS RETURNING Contact(Phone)')).toEqual([
      'Contact:+1 650-253-0000 ext. 12',
    ]);
  });

  it('combines terms with OR, searches MobilePhone too, and reads escaped punctuation as digits separators', () => {
    expect(
      search(
        'FIND {4915112345678 OR 015112345678} IN PHONE FIELDS RETURNING Contact(Id, MobilePhone, Phone)',
      ),
    ).toEqual(['Contact:+49 1511 2345678', 'Contact:0151 12345678']);
    expect(
      search('FIND {\\+49 OR \\(650\\) OR 650\\-253\\-0000} IN PHONE FIELDS RETURNING Lead(Phone)'),
    ).toEqual(['Lead:650.253.0000']);
  });

  it('treats a quoted phrase as one term, adjacent words as AND, and supports AND NOT and grouping', () => {
    expect(search('FIND {"650 253 0000"} IN PHONE FIELDS RETURNING Lead(Phone)')).toEqual([
      'Lead:650.253.0000',
    ]);
    expect(search('FIND {650 2530000} IN PHONE FIELDS RETURNING Lead(Phone)')).toEqual([]);
    expect(
      search(
        'FIND {(6502530000 OR 4915112345678) AND NOT 6502530000} IN PHONE FIELDS RETURNING Contact(MobilePhone)',
      ),
    ).toEqual(['Contact:+49 1511 2345678']);
  });

  it('expands wildcards over digits', () => {
    expect(search('FIND {650253*} IN PHONE FIELDS RETURNING Contact(Phone), Lead(Phone)')).toEqual([
      'Contact:(650) 253-0000',
      'Lead:650.253.0000',
    ]);
    expect(search('FIND {650253000?} IN PHONE FIELDS RETURNING Lead(Phone)')).toEqual(['Lead:650.253.0000']);
  });

  it('never matches a term without digits or a stored value without digits', () => {
    expect(search('FIND {na} IN PHONE FIELDS RETURNING Contact(Phone), Lead(Phone)')).toEqual([]);
  });

  it('returns the selected fields (Id only without a field list) in Salesforce search result shape', () => {
    const result = runSosl(
      parseSosl('FIND {6502530000} IN PHONE FIELDS RETURNING Lead', 62),
      everything,
      '/services/data/v62.0',
    );
    expect(result).toEqual({
      searchRecords: [
        {
          attributes: {
            type: 'Lead',
            url: `/services/data/v62.0/sobjects/Lead/${String(records.Lead[0].Id)}`,
          },
          Id: records.Lead[0].Id,
        },
      ],
    });
  });

  it('matches indexed values but returns the stored ones (the index may lag behind the database)', () => {
    const stale = (object: ObjectDef): SearchCandidate[] =>
      object.name === 'Lead' ? [{ indexed: { Phone: '+1 415 555 0100' }, current: records.Lead[0] }] : [];
    const rows = runSosl(
      parseSosl('FIND {14155550100} IN PHONE FIELDS RETURNING Lead(Phone)', 62),
      stale,
      '',
    ).searchRecords;
    expect(rows.map((r) => r.Phone)).toEqual(['650.253.0000']);
  });

  it('caps rows at the per-object LIMIT, the query LIMIT and 2,000', () => {
    const many = Array.from({ length: 2100 }, (_, i) => ({
      indexed: { Phone: '650-253-0000' },
      current: { Id: `003${String(i).padStart(15, '0')}`, Phone: '650-253-0000' },
    }));
    const run = (sosl: string) => runSosl(parseSosl(sosl, 62), () => many, '').searchRecords.length;
    expect(run('FIND {6502530000} IN PHONE FIELDS RETURNING Contact(Id)')).toBe(SOSL_MAX_ROWS);
    expect(run('FIND {6502530000} IN PHONE FIELDS RETURNING Contact(Id) LIMIT 5000')).toBe(SOSL_MAX_ROWS);
    expect(run('FIND {6502530000} IN PHONE FIELDS RETURNING Contact(Id LIMIT 3)')).toBe(3);
    expect(run('FIND {6502530000} IN PHONE FIELDS RETURNING Contact(Id), Lead(Id) LIMIT 7')).toBe(7);
  });

  it('refuses unescaped reserved characters with MALFORMED_SEARCH, without echoing the search terms', () => {
    expect(errorOf('FIND {+4915112345678} IN PHONE FIELDS RETURNING Contact')).toBe('400 MALFORMED_SEARCH');
    expect(errorOf('FIND {650-253-0000} IN PHONE FIELDS RETURNING Contact')).toBe('400 MALFORMED_SEARCH');
    expect(errorOf('FIND {"+1 650 253 0000"} IN PHONE FIELDS RETURNING Contact')).toBe(
      '400 MALFORMED_SEARCH',
    );
    expect(errorOf('FIND {(650) 253\\-0000} IN PHONE FIELDS RETURNING Contact')).toBe('OK');
    expect(errorOf('FIND {\\+4915112345678} IN PHONE FIELDS RETURNING Contact')).toBe('OK');
    try {
      parseSosl('FIND {+4915112345678} IN PHONE FIELDS RETURNING Contact', 62);
    } catch (err) {
      expect((err as Error).message).not.toContain('4915112345678');
    }
    expect.assertions(6);
  });

  it('refuses malformed queries and what the simulator does not model', () => {
    expect(errorOf('FIND 6502530000 IN PHONE FIELDS RETURNING Contact')).toBe('400 MALFORMED_SEARCH');
    expect(errorOf('FIND {6502530000 IN PHONE FIELDS RETURNING Contact')).toBe('400 MALFORMED_SEARCH');
    expect(errorOf('FIND {"6502530000} IN PHONE FIELDS RETURNING Contact')).toBe('400 MALFORMED_SEARCH');
    expect(errorOf('FIND {6} IN PHONE FIELDS RETURNING Contact')).toBe('400 MALFORMED_SEARCH');
    expect(errorOf('FIND {} IN PHONE FIELDS RETURNING Contact')).toBe('400 MALFORMED_SEARCH');
    expect(errorOf('FIND {6502530000 OR} IN PHONE FIELDS RETURNING Contact')).toBe('400 MALFORMED_SEARCH');
    expect(errorOf('FIND {6502530000} RETURNING Contact')).toBe('400 MALFORMED_SEARCH');
    expect(errorOf('FIND {6502530000} IN ALL FIELDS RETURNING Contact')).toBe('400 MALFORMED_SEARCH');
    expect(errorOf("FIND {6502530000} IN PHONE FIELDS RETURNING Contact(Id WHERE Phone = 'x')")).toBe(
      '400 MALFORMED_SEARCH',
    );
  });

  it('refuses unknown objects and fields in the error shapes of SOQL', () => {
    expect(errorOf('FIND {6502530000} IN PHONE FIELDS RETURNING Kontakt(Id)')).toBe('400 INVALID_TYPE');
    expect(errorOf('FIND {6502530000} IN PHONE FIELDS RETURNING Contact(Id, Fon)')).toBe('400 INVALID_FIELD');
    expect(errorOf('FIND {6502530000} IN PHONE FIELDS RETURNING ContactPointPhone(TelephoneNumber)')).toBe(
      'OK',
    );
  });

  it('strips every non-digit from phone values', () => {
    expect(phoneDigits('+1 (650) 253-0000 x12')).toBe('1650253000012');
    expect(phoneDigits('n/a')).toBe('');
  });
});
