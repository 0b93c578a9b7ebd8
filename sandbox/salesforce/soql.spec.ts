import { caseSafeSuffix, makeId, toId18 } from './ids';
import { OBJECTS } from './schema';
import { parseSoql, runSoql, SalesforceApiError } from './soql';

const contacts = [
  {
    Id: toId18('003xx0000000001')!,
    LastName: "O'Brien",
    MobilePhone: '+1',
    SystemModstamp: '2026-01-01T00:00:00.000+0000',
    DoNotCall: false,
  },
  {
    Id: toId18('003xx0000000002')!,
    LastName: 'smith',
    MobilePhone: null,
    SystemModstamp: '2026-01-02T00:00:00.000+0000',
    DoNotCall: true,
  },
  {
    Id: toId18('003xx0000000003')!,
    LastName: 'Smith',
    MobilePhone: '+3',
    SystemModstamp: '2026-01-03T00:00:00.000+0000',
    DoNotCall: false,
  },
];

const run = (soql: string) => runSoql(parseSoql(soql, 62), contacts, '/services/data/v62.0');
const codeOf = (soql: string) => {
  try {
    parseSoql(soql, 62);
  } catch (err) {
    return (err as SalesforceApiError).errorCode;
  }
  return 'OK';
};

describe('Salesforce ids', () => {
  it('computes the case-safe 18-character suffix', () => {
    expect(caseSafeSuffix('001A0000006Vm9r')).toBe('IAC');
    expect(toId18('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(toId18('001A0000006Vm9riac')).toBe('001A0000006Vm9rIAC');
    expect(toId18('001A0000006Vm9rXXX')).toBeUndefined();
    expect(makeId('0PK', 1)).toMatch(/^0PKxx0{9}1[A-Z0-5]{3}$/);
  });
});

describe('SOQL subset', () => {
  it('filters with = (case-insensitive), escapes, IN, null, booleans and datetimes', () => {
    expect(run("SELECT Id FROM Contact WHERE LastName = 'SMITH'")).toHaveLength(2);
    expect(run("SELECT LastName FROM Contact WHERE LastName = 'O\\'Brien'").map((r) => r.LastName)).toEqual([
      "O'Brien",
    ]);
    expect(run("SELECT Id FROM Contact WHERE MobilePhone IN ('+1', '+3')")).toHaveLength(2);
    expect(run('SELECT Id FROM Contact WHERE MobilePhone = null')).toHaveLength(1);
    expect(run('SELECT Id FROM Contact WHERE DoNotCall = TRUE')).toHaveLength(1);
    expect(
      run('SELECT Id FROM Contact WHERE SystemModstamp > 2026-01-01T00:00:00Z AND DoNotCall = false'),
    ).toHaveLength(1);
    expect(run("select id from contact where id = '003xx0000000002'")).toHaveLength(1);
  });

  it('compares phone fields as stored, exactly (case too), while other text compares case-insensitively', () => {
    const typed = [
      { Id: toId18('00Qxx0000000001')!, Phone: '(650) 253-0000', LastName: 'Lee' },
      { Id: toId18('00Qxx0000000002')!, Phone: '650-253-0000 X12', LastName: 'Lee' },
    ];
    const leads = (soql: string) =>
      runSoql(parseSoql(soql, 62), typed, '/services/data/v62.0').map((r) => r.Phone);
    expect(leads("SELECT Phone FROM Lead WHERE Phone IN ('+16502530000', '6502530000')")).toEqual([]);
    expect(leads("SELECT Phone FROM Lead WHERE Phone = '(650) 253-0000'")).toEqual(['(650) 253-0000']);
    expect(leads("SELECT Phone FROM Lead WHERE Phone = '650-253-0000 x12'")).toEqual([]);
    expect(leads("SELECT Phone FROM Lead WHERE LastName = 'LEE' AND Phone != '(650) 253-0000'")).toEqual([
      '650-253-0000 X12',
    ]);
    expect(codeOf('SELECT Id, CountryCode, IsConverted FROM Lead')).toBe('OK');
    expect(codeOf('SELECT Id, MailingCountryCode FROM Contact')).toBe('OK');
    expect(codeOf('SELECT Id, CountryCode FROM Contact')).toBe('INVALID_FIELD');
    expect(codeOf('SELECT Id, TelephoneNumber, IsPrimary, PhoneType, ParentId FROM ContactPointPhone')).toBe(
      'OK',
    );
  });

  it('orders, limits and projects with attributes', () => {
    const rows = run('SELECT Id, MobilePhone FROM Contact ORDER BY MobilePhone DESC NULLS LAST LIMIT 2');
    expect(rows.map((r) => r.MobilePhone)).toEqual(['+3', '+1']);
    expect(rows[0]).toEqual({
      attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${contacts[2].Id}` },
      Id: contacts[2].Id,
      MobilePhone: '+3',
    });
  });

  it('joins conditions with OR, and with AND and OR when parentheses say how', () => {
    const lastNames = (soql: string) => run(soql).map((r) => r.Id);
    const [one, two, three] = contacts.map((c) => c.Id);
    expect(lastNames("SELECT Id FROM Contact WHERE MobilePhone = '+1' OR MobilePhone = '+3'")).toEqual([
      one,
      three,
    ]);
    expect(
      lastNames(
        "SELECT Id FROM Contact WHERE MobilePhone IN ('+1') OR LastName = 'SMITH' OR DoNotCall = true",
      ),
    ).toEqual([one, two, three]);
    // AND inside OR, and OR inside AND: the parentheses decide.
    expect(
      lastNames(
        "SELECT Id FROM Contact WHERE (LastName = 'smith' AND DoNotCall = false) OR MobilePhone = '+1'",
      ),
    ).toEqual([one, three]);
    expect(
      lastNames(
        "SELECT Id FROM Contact WHERE LastName = 'smith' AND (MobilePhone = '+3' OR DoNotCall = true)",
      ),
    ).toEqual([two, three]);
    expect(
      lastNames(
        "SELECT Id FROM Contact WHERE ((MobilePhone = '+1')) OR (LastName = 'x' OR DoNotCall = true)",
      ),
    ).toEqual([one, two]);
  });

  it('refuses AND and OR mixed without parentheses, as Salesforce requires them', () => {
    expect(codeOf("SELECT Id FROM Contact WHERE LastName = 'a' AND LastName = 'b' OR DoNotCall = true")).toBe(
      'MALFORMED_QUERY',
    );
    expect(codeOf("SELECT Id FROM Contact WHERE LastName = 'a' OR LastName = 'b' AND DoNotCall = true")).toBe(
      'MALFORMED_QUERY',
    );
    expect(codeOf("SELECT Id FROM Contact WHERE (LastName = 'a' OR LastName = 'b'")).toBe('MALFORMED_QUERY');
    expect(codeOf("SELECT Id FROM Contact WHERE LastName = 'a' OR")).toBe('MALFORMED_QUERY');
    expect(codeOf('SELECT Id FROM Contact WHERE ()')).toBe('MALFORMED_QUERY');
  });

  it('refuses anything outside the subset in Salesforce terms', () => {
    expect(codeOf("SELECT Id FROM Contact WHERE NOT LastName = 'a'")).toBe('MALFORMED_QUERY');
    expect(codeOf('SELECT COUNT() FROM Contact')).toBe('MALFORMED_QUERY');
    expect(codeOf('SELECT Id FROM Contact LIMIT 1 OFFSET 1')).toBe('MALFORMED_QUERY');
    expect(codeOf('SELECT Individual.Name FROM Contact')).toBe('INVALID_FIELD');
    expect(codeOf('SELECT Id FROM Account')).toBe('INVALID_TYPE');
    expect(codeOf("SELECT Id FROM Contact WHERE Id = 'nope'")).toBe('INVALID_QUERY_FILTER_OPERATOR');
    expect(codeOf("SELECT Id FROM Contact WHERE DoNotCall = 'true'")).toBe('INVALID_FIELD');
    expect(codeOf("SELECT Id FROM Contact WHERE LastName = 'unterminated")).toBe('MALFORMED_QUERY');
    // BusinessBrandId exists from API 53.0; consent objects need 45.0.
    expect(() => parseSoql('SELECT BusinessBrandId FROM ContactPointTypeConsent', 52)).toThrow(
      SalesforceApiError,
    );
    expect(() => parseSoql('SELECT Id FROM ContactPointTypeConsent', 44)).toThrow(SalesforceApiError);
    expect(OBJECTS.ContactPointTypeConsent.keyPrefix).toBe('0ZY');
  });
});
