import { Connection, OAuth2 } from 'jsforce';
import { SalesforceSimulator } from './salesforce-simulator';

/**
 * Contacts, Leads, ContactPointPhone and SOSL through the real jsforce 3.10.16 client, the way the gateway's
 * connector calls them. The simulator listens on loopback only.
 */
const CLIENT = { clientId: 'sandbox-client-id', clientSecret: 'sandbox-client-secret' };
const REDIRECT_URI = 'http://127.0.0.1:1/callback';

let sim: SalesforceSimulator;
let conn: Connection;

beforeAll(async () => {
  sim = new SalesforceSimulator(CLIENT);
  const base = await sim.start();
  const oauth2 = new OAuth2({ loginUrl: base, redirectUri: REDIRECT_URI, ...CLIENT });
  const consent = await fetch(oauth2.getAuthorizationUrl({ scope: 'api refresh_token' }), {
    redirect: 'manual',
  });
  const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
  conn = new Connection({ oauth2, version: '62.0' });
  await conn.authorize(code);
});

afterAll(async () => {
  await sim.stop();
});

beforeEach(() => {
  // reset() drops tokens too; keep the connection's token alive across tests.
  const tokens = new Map(sim.state.accessTokens);
  const refresh = new Map(sim.state.refreshTokens);
  sim.reset();
  for (const [k, v] of tokens) sim.state.accessTokens.set(k, v);
  for (const [k, v] of refresh) sim.state.refreshTokens.set(k, v);
});

const PEOPLE_SOSL = (term: string) =>
  `FIND {${term}} IN PHONE FIELDS RETURNING Contact(Id, Phone, MobilePhone, IndividualId), Lead(Id, Phone, MobilePhone, IndividualId)`;

describe('Contacts and Leads through jsforce', () => {
  it('creates and updates a Lead, storing phone and country fields exactly as written', async () => {
    const created = await conn.sobject('Lead').create({
      LastName: 'Schmidt',
      Company: 'Schmidt GmbH',
      MobilePhone: '0151 12345678',
      Country: 'Germany',
      CountryCode: 'DE',
    });
    expect(created).toMatchObject({ success: true });
    expect(created.id).toMatch(/^00Q/);
    const before = (await conn.sobject('Lead').retrieve(created.id!)) as Record<string, unknown>;
    expect(before).toMatchObject({ MobilePhone: '0151 12345678', CountryCode: 'DE', IsConverted: false });

    await conn.sobject('Lead').update({ Id: created.id!, Phone: '+49 (0)30 1234567' });
    const after = (await conn.sobject('Lead').retrieve(created.id!)) as Record<string, unknown>;
    expect(after.Phone).toBe('+49 (0)30 1234567');
    expect(String(after.SystemModstamp) > String(before.SystemModstamp)).toBe(true);
  });

  it('refuses a country code outside the state-and-country picklist', async () => {
    await expect(
      conn.sobject('Contact').create({ LastName: 'X', MailingCountry: 'Atlantis', MailingCountryCode: 'XA' }),
    ).rejects.toMatchObject({ errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST' });
  });

  it('creates and queries ContactPointPhone rows for an Individual', async () => {
    const individual = await conn.sobject('Individual').create({ LastName: 'Okafor' });
    const phone = await conn.sobject('ContactPointPhone').create({
      ParentId: individual.id,
      TelephoneNumber: '+44 7700 900123',
      IsPrimary: true,
      PhoneType: 'Mobile',
    });
    expect(phone.id).toMatch(/^0OP/);
    const rows = await conn.query(
      `SELECT Id, TelephoneNumber, IsPrimary, PhoneType FROM ContactPointPhone WHERE ParentId = '${individual.id}'`,
    );
    expect(rows.records).toEqual([
      expect.objectContaining({
        Id: phone.id,
        TelephoneNumber: '+44 7700 900123',
        IsPrimary: true,
        PhoneType: 'Mobile',
      }),
    ]);
    await expect(conn.sobject('ContactPointPhone').create({ TelephoneNumber: '1' })).rejects.toMatchObject({
      errorCode: 'REQUIRED_FIELD_MISSING',
    });
  });

  it('describes Lead and ContactPointPhone with their phone and country fields', async () => {
    const lead = await conn.sobject('Lead').describe();
    const names = lead.fields.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['Phone', 'MobilePhone', 'Country', 'CountryCode', 'IsConverted']),
    );
    expect(lead.fields.find((f) => f.name === 'MobilePhone')?.type).toBe('phone');
    const cpp = await conn.sobject('ContactPointPhone').describe();
    expect(cpp.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['ParentId', 'TelephoneNumber', 'IsPrimary']),
    );
  });
});

describe('SOQL on phone fields through jsforce', () => {
  it('compares the stored string exactly: E.164 does not find a formatted number', async () => {
    await conn.sobject('Contact').create({ LastName: 'Lee', Phone: '(650) 253-0000' });
    const e164 = await conn.query("SELECT Id FROM Contact WHERE Phone IN ('+16502530000')");
    const typed = await conn.query("SELECT Id, Phone FROM Contact WHERE Phone = '(650) 253-0000'");
    expect(e164.totalSize).toBe(0);
    expect(typed.records.map((r) => (r as Record<string, unknown>).Phone)).toEqual(['(650) 253-0000']);
  });

  it('filters on SystemModstamp with a datetime literal, orders and limits', async () => {
    const { Contact: ids } = sim.seed({
      contacts: [{ LastName: 'A' }, { LastName: 'B' }, { LastName: 'C' }],
    });
    const record = sim.state.records.Contact;
    ['2026-12-06T09:00:00.000+0000', '2026-12-06T10:30:00.000+0000', '2026-12-06T11:00:00.000+0000'].forEach(
      (t, i) => (record.get(ids[i])!.SystemModstamp = t),
    );
    const res = await conn.query(
      'SELECT Id, LastName FROM Contact WHERE SystemModstamp > 2026-12-06T10:00:00Z ORDER BY SystemModstamp DESC LIMIT 1',
    );
    expect(res.records.map((r) => (r as Record<string, unknown>).LastName)).toEqual(['C']);
  });

  it('answers an unknown field with INVALID_FIELD', async () => {
    await expect(conn.query('SELECT Id, Fon FROM Lead')).rejects.toMatchObject({
      errorCode: 'INVALID_FIELD',
    });
  });
});

describe('SOSL through jsforce (conn.search)', () => {
  it('finds Contacts and Leads whose stored phone has the digits of a term, whatever the formatting', async () => {
    const seeded = sim.seedRealistic({ contacts: 20, leads: 10, seed: 5 });
    const target = seeded.find((r) => r.form === 'us-parens')!;
    const digits = target.typed!.replace(/\D/g, '');
    const result = await conn.search(PEOPLE_SOSL(`${digits} OR 1${digits}`));
    const ids = result.searchRecords.map((r) => r.Id);
    expect(ids).toContain(target.id);
    const expected = seeded
      .filter((r) => r.typed !== null && [digits, `1${digits}`].includes(r.typed.replace(/\D/g, '')))
      .map((r) => r.id);
    expect([...ids].sort()).toEqual([...expected].sort());
    expect(result.searchRecords[0]).toHaveProperty('attributes.type');
    expect(Object.keys(result.searchRecords[0]).sort()).toEqual(
      ['attributes', 'Id', 'Phone', 'MobilePhone', 'IndividualId'].sort(),
    );
  });

  it('searches ContactPointPhone.TelephoneNumber when asked to return ContactPointPhone', async () => {
    const {
      Individual: [individual],
    } = sim.seed({ individuals: [{ LastName: 'Rossi' }] });
    sim.seed({
      records: { ContactPointPhone: [{ ParentId: individual, TelephoneNumber: '+33 6 12 34 56 78' }] },
    });
    const result = await conn.search(
      'FIND {33612345678} IN PHONE FIELDS RETURNING ContactPointPhone(Id, ParentId)',
    );
    expect(result.searchRecords.map((r) => r.ParentId)).toEqual([individual]);
  });

  it('refuses an unescaped reserved character with MALFORMED_SEARCH (400)', async () => {
    await expect(conn.search(PEOPLE_SOSL('+16502530000'))).rejects.toMatchObject({
      errorCode: 'MALFORMED_SEARCH',
    });
    await expect(conn.search(PEOPLE_SOSL('\\+16502530000'))).resolves.toEqual({ searchRecords: [] });
  });

  it('does not find a record until the search index has caught up; SOQL sees it at once', async () => {
    let clock = Date.parse('2026-12-06T10:00:00Z');
    const now = jest.spyOn(Date, 'now').mockImplementation(() => clock);
    try {
      sim.setSearchIndexLag(30_000);
      const { id } = await conn
        .sobject('Contact')
        .create({ LastName: 'Nguyen', MobilePhone: '+1 650 253 0000' });
      const soql = await conn.query("SELECT Id FROM Contact WHERE MobilePhone = '+1 650 253 0000'");
      expect(soql.records.map((r) => r.Id)).toEqual([id]);
      expect((await conn.search(PEOPLE_SOSL('16502530000'))).searchRecords).toEqual([]);

      clock += 30_000;
      await conn.sobject('Contact').update({ Id: id!, MobilePhone: '+1 415 555 0100' });
      // The index still holds the previous number; the hit shows the stored (new) value.
      const stale = await conn.search(PEOPLE_SOSL('16502530000'));
      expect(stale.searchRecords.map((r) => [r.Id, r.MobilePhone])).toEqual([[id, '+1 415 555 0100']]);
      expect((await conn.search(PEOPLE_SOSL('14155550100'))).searchRecords).toEqual([]);

      clock += 30_000;
      expect((await conn.search(PEOPLE_SOSL('16502530000'))).searchRecords).toEqual([]);
      expect((await conn.search(PEOPLE_SOSL('14155550100'))).searchRecords.map((r) => r.Id)).toEqual([id]);
    } finally {
      now.mockRestore();
    }
  });

  it('drops a deleted record from search results at once', async () => {
    const { id } = await conn
      .sobject('Lead')
      .create({ LastName: 'Kowalski', Company: 'K', Phone: '650.253.0000' });
    expect((await conn.search(PEOPLE_SOSL('6502530000'))).searchRecords.map((r) => r.Id)).toEqual([id]);
    await conn.sobject('Lead').destroy(id!);
    expect((await conn.search(PEOPLE_SOSL('6502530000'))).searchRecords).toEqual([]);
  });

  it('offers the realistic seed and the index lag on the admin API', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${sim.url}/__admin/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const seeded = await post('seed-realistic', { contacts: 3, leads: 2, seed: 4 });
    expect(seeded.status).toBe(201);
    const { records } = (await seeded.json()) as { records: Array<{ id: string; type: string }> };
    expect(records.map((r) => r.type)).toEqual(['Contact', 'Contact', 'Contact', 'Lead', 'Lead']);
    expect(records.every((r) => sim.state.records[r.type].has(r.id))).toBe(true);
    const lag = await post('search-index', { lagMs: 5000 });
    expect(await lag.json()).toEqual({ lagMs: 5000 });
  });

  it('finds seeded records at once even with an index lag (seeded data predates the test)', async () => {
    sim.setSearchIndexLag(60_000);
    const [first] = sim.seedRealistic({ contacts: 1, leads: 0, seed: 9 }).filter((r) => r.typed);
    const digits = first.typed!.replace(/\D/g, '');
    expect((await conn.search(PEOPLE_SOSL(digits))).searchRecords.map((r) => r.Id)).toEqual([first.id]);
  });
});
