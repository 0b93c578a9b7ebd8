import { Connection, OAuth2 } from 'jsforce';
import { SalesforceSimulator, type FaultSpec } from '../../sandbox/salesforce';

/**
 * Drives the Salesforce simulator only through the real jsforce 3.10.16 client (admin calls aside), so the simulator
 * stays faithful to what the SDK sends and expects.
 */
const CLIENT_ID = '3MVG9sandboxClientId';
const CLIENT_SECRET = 'sandbox-consumer-secret';
const REDIRECT_URI = 'http://127.0.0.1:1/oauth/salesforce/callback';
const VERSION = '62.0';

let sim: SalesforceSimulator;
let base: string;

beforeAll(async () => {
  sim = new SalesforceSimulator({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  base = await sim.start();
});

afterAll(async () => {
  await sim.stop();
});

beforeEach(() => {
  sim.reset();
});

const admin = async (path: string, body?: unknown, method = 'POST') => {
  const res = await fetch(`${base}/__admin/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res;
};
const fault = (spec: FaultSpec) => admin('faults', spec);

const oauth2 = () =>
  new OAuth2({ loginUrl: base, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI });

/** The web-server flow: follow the authorize redirect (the sandbox auto-approves), then exchange the code. */
async function authorizedConnection(): Promise<Connection> {
  const url = oauth2().getAuthorizationUrl({ scope: 'api refresh_token', state: 'csrf-123' });
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
  expect(location.searchParams.get('state')).toBe('csrf-123');
  const conn = new Connection({ oauth2: oauth2(), version: VERSION });
  await conn.authorize(location.searchParams.get('code')!);
  return conn;
}

/** What the gateway does later: rebuild a connection from stored tokens. */
function storedConnection(from: Connection, extra: Record<string, unknown> = {}): Connection {
  return new Connection({
    oauth2: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI, loginUrl: base },
    instanceUrl: base,
    accessToken: from.accessToken!,
    refreshToken: from.refreshToken!,
    version: VERSION,
    ...extra,
  });
}

async function errorOf(
  promise: PromiseLike<unknown>,
): Promise<Error & { errorCode?: string; data?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { errorCode?: string };
  }
  throw new Error('expected the call to fail');
}

async function whatsappMetadata(conn: Connection) {
  const channel = await conn.query<{ Id: string }>(
    "SELECT Id FROM EngagementChannelType WHERE Name = 'WhatsApp' AND ContactPointType = 'Phone'",
  );
  const purpose = await conn.query<{ Id: string }>("SELECT Id FROM DataUsePurpose WHERE Name = 'Marketing'");
  return { channelId: channel.records[0].Id, purposeId: purpose.records[0].Id };
}

describe('Salesforce simulator via jsforce 3.10.16', () => {
  it('runs the OAuth2 web-server flow: authorize redirect, code grant with id and instance_url', async () => {
    const conn = await authorizedConnection();
    expect(conn.instanceUrl).toBe(base);
    expect(conn.accessToken).toMatch(/^00D\w+!/);
    expect(conn.refreshToken).toBeTruthy();
    expect(conn.userInfo).toEqual({
      id: '005xx000001SwiUAAS',
      organizationId: '00Dxx0000001gPLEAY',
      url: `${base}/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS`,
    });

    // A code is single-use; a reused or unknown one is refused as OAuth's invalid_grant.
    const err = await errorOf(new Connection({ oauth2: oauth2(), version: VERSION }).authorize('not-a-code'));
    expect(err.name).toBe('invalid_grant');

    const wrongSecret = new OAuth2({
      loginUrl: base,
      clientId: CLIENT_ID,
      clientSecret: 'nope',
      redirectUri: REDIRECT_URI,
    });
    expect((await errorOf(wrongSecret.refreshToken(conn.refreshToken!))).name).toBe('invalid_client');
  });

  it('creates an Individual and a WhatsApp ContactPointTypeConsent, and validates like Salesforce', async () => {
    const conn = await authorizedConnection();
    const { channelId, purposeId } = await whatsappMetadata(conn);
    expect(channelId).toMatch(/^0eB\w{15}$/);

    const individual = await conn.sobject('Individual').create({ FirstName: 'Ada', LastName: 'Lovelace' });
    expect(individual).toMatchObject({ success: true, errors: [] });
    expect(individual.id).toMatch(/^0PK\w{15}$/);
    const contact = await conn
      .sobject('Contact')
      .create({ LastName: 'Lovelace', MobilePhone: '+16505550101', IndividualId: individual.id });
    expect(contact.id).toMatch(/^003\w{15}$/);

    const consent = await conn.sobject('ContactPointTypeConsent').create({
      Name: 'WhatsApp Marketing',
      PartyId: individual.id,
      ContactPointType: 'Phone',
      EngagementChannelTypeId: channelId,
      DataUsePurposeId: purposeId,
      PrivacyConsentStatus: 'OptIn',
      EffectiveFrom: '2026-01-01T12:00:00.000Z',
      CaptureDate: '2026-01-01T12:00:00Z',
      CaptureSource: 'WhatsApp',
      CaptureContactPointType: 'Phone',
    });
    expect(consent.id).toMatch(/^0ZY\w{15}$/);

    const stored = await conn.sobject('ContactPointTypeConsent').retrieve(consent.id!);
    expect(stored).toMatchObject({
      PartyId: individual.id,
      PrivacyConsentStatus: 'OptIn',
      EffectiveFrom: '2026-01-01T12:00:00.000+0000',
    });
    expect(stored.SystemModstamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);

    await conn
      .sobject('ContactPointTypeConsent')
      .update({ Id: consent.id!, PrivacyConsentStatus: 'OptOut', EffectiveTo: '2026-02-01T00:00:00Z' });
    const found = await conn.query<{ Id: string; PrivacyConsentStatus: string }>(
      `SELECT Id, PrivacyConsentStatus FROM ContactPointTypeConsent WHERE PartyId = '${individual.id}' AND EngagementChannelTypeId = '${channelId}'`,
    );
    expect(found.records).toEqual([
      expect.objectContaining({ Id: consent.id, PrivacyConsentStatus: 'OptOut' }),
    ]);

    // No WhatsApp in the restricted ContactPointType picklist; Name is required; references must exist.
    const picklist = await errorOf(
      conn.sobject('ContactPointTypeConsent').create({ Name: 'x', ContactPointType: 'WhatsApp' }),
    );
    expect(picklist.name).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    const required = await errorOf(
      conn.sobject('ContactPointTypeConsent').create({ PartyId: individual.id }),
    );
    expect(required.name).toBe('REQUIRED_FIELD_MISSING');
    expect(required.message).toBe('Required fields are missing: [Name]');
    const dangling = await errorOf(
      conn.sobject('ContactPointTypeConsent').create({ Name: 'x', PartyId: contact.id }),
    );
    expect(dangling.name).toBe('INVALID_CROSS_REFERENCE_KEY');
    const missing = await errorOf(conn.sobject('Individual').retrieve('0PKxx0000000zzzAAA'));
    expect(missing.name).toBe('NOT_FOUND');
  });

  it('answers the SOQL subset with WHERE / IN / OR / SystemModstamp > / ORDER BY / LIMIT and pages via nextRecordsUrl', async () => {
    const { ids } = (await (await admin('seed', { contacts: 2500 })).json()) as {
      ids: { Contact: string[] };
    };
    expect(ids.Contact).toHaveLength(2500);
    const conn = await authorizedConnection();

    const first = await conn.query<{ Id: string }>('SELECT Id, LastName FROM Contact');
    expect(first.totalSize).toBe(2500);
    expect(first.done).toBe(false);
    expect(first.records).toHaveLength(2000);
    // jsforce rebuilds nextRecordsUrl from the locator (the last path segment of what the simulator sent).
    expect(first.nextRecordsUrl).toMatch(/\/services\/data\/v62\.0\/query\/01g\w+-2000$/);
    const rest = await conn.queryMore(first.nextRecordsUrl!);
    expect(rest.done).toBe(true);
    expect(rest.records).toHaveLength(500);
    expect(new Set([...first.records, ...rest.records].map((r) => r.Id)).size).toBe(2500);

    const all = await conn.query('SELECT Id FROM Contact').run({ autoFetch: true, maxFetch: 10_000 });
    expect(all.records).toHaveLength(2500);

    const one = await conn.query<{ Id: string; MobilePhone: string }>(
      "SELECT Id, MobilePhone FROM Contact WHERE MobilePhone = '+16505550007'",
    );
    expect(one.records.map((r) => r.MobilePhone)).toEqual(['+16505550007']);
    const some = await conn.query(
      `SELECT Id FROM Contact WHERE Id IN ('${ids.Contact[0]}', '${ids.Contact[1].slice(0, 15)}') LIMIT 5`,
    );
    expect(some.totalSize).toBe(2);

    const cursor = new Date(Date.now() - 60_000).toISOString();
    const page = await conn.query<{ SystemModstamp: string }>(
      `SELECT Id, SystemModstamp FROM Contact WHERE SystemModstamp > ${cursor} ORDER BY SystemModstamp DESC LIMIT 200`,
    );
    expect(page.records).toHaveLength(200);
    expect(page.done).toBe(true);

    const either = await conn.query<{ MobilePhone: string }>(
      "SELECT Id, MobilePhone FROM Contact WHERE MobilePhone = '+16505550007' OR MobilePhone = '+16505550008'",
    );
    expect(either.records.map((r) => r.MobilePhone).sort()).toEqual(['+16505550007', '+16505550008']);
    // Salesforce requires parentheses whenever AND and OR are mixed.
    const malformed = await errorOf(
      conn.query("SELECT Id FROM Contact WHERE LastName = 'a' AND LastName = 'b' OR LastName = 'c'"),
    );
    expect(malformed.name).toBe('MALFORMED_QUERY');
    expect(malformed.message).toContain('ERROR at Row:1:Column:');
    const badField = await errorOf(conn.query('SELECT Foo FROM Contact'));
    expect(badField.name).toBe('INVALID_FIELD');
    expect(badField.message).toContain("No such column 'Foo' on entity 'Contact'");
    const quotedDate = await errorOf(
      conn.query("SELECT Id FROM Contact WHERE SystemModstamp > '2026-01-01T00:00:00Z'"),
    );
    expect(quotedDate.name).toBe('INVALID_FIELD');
  });

  it('handles sObject Collections: 200 records per call, per-record results, more than 200 refused', async () => {
    const conn = await authorizedConnection();
    const created = await conn
      .sobject('Contact')
      .create(Array.from({ length: 200 }, (_, i) => ({ LastName: `Bulk ${i}` })));
    expect(created).toHaveLength(200);
    expect(created.every((r) => r.success)).toBe(true);

    const updated = await conn
      .sobject('Contact')
      .update(created.map((r) => ({ Id: r.id!, HasOptedOutOfEmail: true })));
    expect(updated.filter((r) => r.success)).toHaveLength(200);
    const check = await conn.query('SELECT Id FROM Contact WHERE HasOptedOutOfEmail = true');
    expect(check.totalSize).toBe(200);

    const tooMany = await errorOf(
      conn.sobject('Contact').update([...created, created[0]].map((r) => ({ Id: r.id!, DoNotCall: true }))),
    );
    expect(tooMany.name).toBe('EXCEEDED_ID_LIMIT');

    const mixed = await conn.sobject('Contact').create([{ LastName: 'ok' }, { FirstName: 'no last name' }]);
    expect(mixed[0]).toMatchObject({ success: true, errors: [] });
    expect(mixed[1]).toMatchObject({
      success: false,
      errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] }],
    });

    const rolledBack = await conn
      .sobject('Contact')
      .create([{ LastName: 'kept?' }, { LastName: 'x', IndividualId: '0PKxx0000000zzzAAA' }], {
        allOrNone: true,
      });
    expect(rolledBack.map((r) => r.success)).toEqual([false, false]);
    expect((await conn.query("SELECT Id FROM Contact WHERE LastName = 'kept?'")).totalSize).toBe(0);

    const destroyed = await conn.sobject('Contact').destroy([created[0].id!, created[1].id!]);
    expect(destroyed.every((r) => r.success)).toBe(true);
  });

  it('refreshes an expired token automatically, emits refresh and replays the request', async () => {
    const first = await authorizedConnection();
    const individual = await first.sobject('Individual').create({ LastName: 'Refresh' });
    const conn = storedConnection(first);
    const refreshed: Array<{ accessToken: string; res: Record<string, string> }> = [];
    conn.on('refresh', (accessToken: string, res: Record<string, string>) =>
      refreshed.push({ accessToken, res }),
    );

    expect((await fault({ kind: 'expire_tokens' })).status).toBe(201);
    const result = await conn
      .sobject('Individual')
      .update({ Id: individual.id!, ShouldForget: true, HasOptedOutProcessing: true });
    expect(result).toMatchObject({ id: individual.id, success: true });

    expect(refreshed).toHaveLength(1);
    expect(refreshed[0].accessToken).not.toBe(first.accessToken);
    expect(refreshed[0].res).toMatchObject({ instance_url: base, id: expect.stringContaining('/id/00D') });
    expect(refreshed[0].res.refresh_token).toBeUndefined();
    expect(conn.accessToken).toBe(refreshed[0].accessToken);
    expect(sim.state.records.Individual.get(individual.id!)).toMatchObject({
      ShouldForget: true,
      HasOptedOutProcessing: true,
    });
    const patches = sim.state.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.status)).toEqual([401, 204]);
  });

  it('surfaces a failed refresh as an error', async () => {
    const conn = storedConnection(await authorizedConnection());
    await fault({ kind: 'expire_tokens' });
    await fault({ kind: 'refresh_fails' });
    const err = await errorOf(conn.sobject('Individual').create({ LastName: 'x' }));
    expect(err.message).toBe('Unable to refresh session due to: expired access/refresh token');
  });

  it("'refresh_ok_but_401_persists': jsforce keeps refreshing; a loop guard makes the error surface", async () => {
    const first = await authorizedConnection();

    // Stock jsforce: every 401 triggers a refresh + replay, so three persistent 401s mean three refreshes.
    const stock = storedConnection(first);
    let stockRefreshes = 0;
    stock.on('refresh', () => stockRefreshes++);
    await fault({ kind: 'refresh_ok_but_401_persists', count: 3 });
    await stock.sobject('Individual').create({ LastName: 'eventually' });
    expect(stockRefreshes).toBe(3);

    // With the fault unbounded, only a guard stops the loop (the gateway's loop guard does this, then marks the
    // connection auth_failed).
    await fault({ kind: 'refresh_ok_but_401_persists' });
    let guardCalls = 0;
    const guarded = storedConnection(first, {
      refreshFn: (c: Connection, callback: (err?: Error, accessToken?: string, res?: unknown) => void) => {
        if (++guardCalls > 2) {
          callback(new Error('refresh loop guard: 401 persists after refresh'));
          return;
        }
        c.oauth2.refreshToken(c.refreshToken!).then(
          (res) => callback(undefined, res.access_token, res),
          (err: Error) => callback(err),
        );
      },
    });
    const err = await errorOf(guarded.sobject('Individual').create({ LastName: 'never' }));
    expect(err.message).toBe(
      'Unable to refresh session due to: refresh loop guard: 401 persists after refresh',
    );
    expect(guardCalls).toBe(3);
    expect(sim.state.counters.unauthorized).toBeGreaterThanOrEqual(6);
  });

  it('answers REQUEST_LIMIT_EXCEEDED as a 403 and reports Sforce-Limit-Info on every response', async () => {
    const conn = await authorizedConnection();
    await conn.query('SELECT Id FROM Individual');
    expect(conn.limitInfo.apiUsage).toEqual({ used: 1, limit: 15000 });

    await fault({ kind: 'request_limit', count: 1 });
    const err = await errorOf(conn.query('SELECT Id FROM Individual'));
    expect(err.name).toBe('REQUEST_LIMIT_EXCEEDED');
    expect(err.message).toBe('TotalRequests Limit exceeded.');
    expect(err.data).toEqual({
      message: 'TotalRequests Limit exceeded.',
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
    });

    // The daily allowance running out has the same effect.
    await admin('usage', { used: 15000 });
    expect((await errorOf(conn.sobject('Individual').create({ LastName: 'x' }))).name).toBe(
      'REQUEST_LIMIT_EXCEEDED',
    );
    expect(conn.limitInfo.apiUsage).toEqual({ used: 15000, limit: 15000 });

    const api = sim.state.requests.filter((r) => r.path.startsWith('/services/data/'));
    expect(api.map((r) => [r.status, r.limitInfo])).toEqual([
      [200, 'api-usage=1/15000'],
      [403, 'api-usage=1/15000'],
      [403, 'api-usage=15000/15000'],
    ]);
    // OAuth endpoints are not REST API calls: no header there.
    expect(
      sim.state.requests.find((r) => r.path.startsWith('/services/oauth2/token'))?.limitInfo,
    ).toBeUndefined();
  });

  it('lists ids changed and deleted in a window via updated() and deleted()', async () => {
    const conn = await authorizedConnection();
    const before = new Date(Date.now() - 2 * 60_000);
    const a = await conn.sobject('Contact').create({ LastName: 'A' });
    const b = await conn.sobject('Contact').create({ LastName: 'B' });
    await conn.sobject('Contact').destroy(b.id!);
    const after = new Date(Date.now() + 60_000);

    const updated = await conn.sobject('Contact').updated(before, after);
    expect(updated.ids).toEqual([a.id]);
    expect(updated.latestDateCovered).toMatch(/\+0000$/);
    const deleted = await conn.sobject('Contact').deleted(before, after);
    expect(deleted.deletedRecords.map((r) => r.id)).toEqual([b.id]);

    const tooOld = await errorOf(
      conn.sobject('Contact').updated(new Date(Date.now() - 40 * 86_400_000), after),
    );
    expect(tooOld.name).toBe('INVALID_REPLICATION_DATE');
  }, 30_000);

  it('injects a 500 on a matching POST (not retried by jsforce) and then recovers', async () => {
    const conn = await authorizedConnection();
    await fault({ kind: '500', method: 'POST', path: '/sobjects/Individual' });
    const err = await errorOf(conn.sobject('Individual').create({ LastName: 'x' }));
    expect(err.name).toBe('UNKNOWN_EXCEPTION');
    expect((await conn.sobject('Individual').create({ LastName: 'x' })).success).toBe(true);
    const state = (await (await fetch(`${base}/__admin/state`)).json()) as {
      records: { Individual: unknown[] };
      apiUsage: number;
    };
    expect(state.records.Individual).toHaveLength(1);
    expect(state.apiUsage).toBe(2);
  });
});
