import { randomUUID } from 'node:crypto';
import { Connection } from 'jsforce';
import {
  AuthFailedError,
  RateLimitedError,
  TransientError,
  type ConnectionContext,
  type ConnectionCredentials,
  type ConnectorDeps,
  type ConsentPush,
  type ConsentStateSnapshot,
  type PushOutcome,
} from '../../src/modules/connectors/connector.port';
import {
  SALESFORCE_API_VERSION,
  SalesforceConnector,
  SalesforceOAuth,
} from '../../src/modules/connectors/salesforce';
import { makeId, SalesforceSimulator, type SfRecord } from '../../sandbox/salesforce';
import { sandboxOutbound } from '../support/outbound';

/**
 * The Salesforce connector against the Salesforce simulator, through the real jsforce 3.10.16 (no database: the
 * connection context and the connector's dependencies are built by hand).
 */
const CLIENT = { clientId: '3MVG9gatewayClientId', clientSecret: 'gateway-consumer-secret' };
const REDIRECT_URI = 'http://127.0.0.1:1/v1/connections/salesforce/callback';
const ORG_ID = '00Dxx0000001gPLEAY';

let sim: SalesforceSimulator;
let base: string;
const oauth = new SalesforceOAuth(CLIENT, sandboxOutbound());

beforeAll(async () => {
  sim = new SalesforceSimulator(CLIENT);
  base = await sim.start();
});

afterAll(async () => {
  await sim.stop();
});

beforeEach(() => {
  sim.reset();
});

/** The admin's consent, as the connection flow does it: authorize (the sandbox approves at once), then exchange. */
async function connect(): Promise<{ credentials: ConnectionCredentials; externalAccountId: string | null }> {
  const url = oauth.authorizeUrl({ authBaseUrl: base, redirectUri: REDIRECT_URI, state: 'csrf-1' });
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  expect(location.searchParams.get('state')).toBe('csrf-1');
  return oauth.exchangeCode({
    apiBaseUrl: base,
    code: location.searchParams.get('code')!,
    redirectUri: REDIRECT_URI,
  });
}

function contextFor(
  credentials: ConnectionCredentials,
  mapping: Record<string, unknown> = {},
): ConnectionContext {
  return {
    id: randomUUID(),
    type: 'salesforce',
    name: 'Sandbox org',
    baseUrl: base,
    loginUrl: base,
    externalAccountId: ORG_ID,
    mapping,
    erasureMode: 'hard_delete',
    credentials,
    phoneRegion: null,
  };
}

function makeDeps(overrides: Partial<ConnectorDeps> = {}) {
  return {
    onCredentials: jest.fn(async (_c: ConnectionCredentials) => {}),
    beforeRefresh: jest.fn(async () => {}),
    pace: jest.fn(async () => {}),
    oauthClient: CLIENT,
    publicBaseUrl: 'http://gateway.test',
    outbound: sandboxOutbound(),
    ...overrides,
  } satisfies ConnectorDeps;
}

async function connector(
  options: { mapping?: Record<string, unknown>; deps?: ConnectorDeps; requestTimeoutMs?: number } = {},
) {
  const { credentials } = await connect();
  const deps = options.deps ?? makeDeps();
  return {
    connector: new SalesforceConnector(contextFor(credentials, options.mapping), deps, {
      requestTimeoutMs: options.requestTimeoutMs,
    }),
    deps,
    credentials,
  };
}

function state(
  status: 'granted' | 'withdrawn',
  capturedAt: string,
  eventId: string = randomUUID(),
): ConsentStateSnapshot {
  return {
    purpose: 'marketing',
    channel: 'whatsapp',
    scope: '*',
    status,
    capturedAt,
    source: 'whatsapp',
    eventId,
    method: 'wa_keyword',
    legalBasis: 'consent',
  };
}

/** A push for one person, given by their (single) phone, email and record id. */
type PushOf = Partial<Omit<ConsentPush, 'phones' | 'emails' | 'remoteIds'>> & {
  phone?: string | null;
  email?: string | null;
  remoteId?: string | null;
};

function push(overrides: PushOf = {}): ConsentPush {
  const { phone = '+16505550101', email = null, remoteId = null, ...rest } = overrides;
  return {
    deliveryId: randomUUID(),
    subjectId: randomUUID(),
    phones: phone ? [phone] : [],
    waId: null,
    emails: email ? [email] : [],
    remoteIds: remoteId ? [remoteId] : [],
    states: [state('withdrawn', '2026-03-01T10:00:00.000Z', 'evt-stop')],
    ...rest,
  };
}

const records = (type: string): SfRecord[] => [...sim.state.records[type].values()];
const apiCalls = () => sim.state.requests.filter((r) => r.path.startsWith('/services/data/'));

function seedContact(fields: Record<string, unknown> = {}): string {
  return sim.seed({
    contacts: [{ FirstName: 'Ada', LastName: 'Lovelace', MobilePhone: '+16505550101', ...fields }],
  }).Contact[0];
}

function succeeded(outcome: PushOutcome) {
  if (outcome.outcome !== 'succeeded') throw new Error(`expected success, got ${JSON.stringify(outcome)}`);
  return outcome;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(SalesforceConnector.name, () => {
  describe('ensureSetup', () => {
    it('finds the seeded WhatsApp channel and Marketing purpose by Name', async () => {
      const { connector: c } = await connector();
      const mapping = await c.ensureSetup();
      expect(mapping).toEqual({
        engagementChannelTypeId: records('EngagementChannelType')[0].Id,
        dataUsePurposeId: records('DataUsePurpose')[0].Id,
        targets: ['Contact', 'Lead'],
      });
      expect(records('EngagementChannelType')).toHaveLength(1);
      expect(records('DataUsePurpose')).toHaveLength(1);
    });

    it('creates the channel and purpose when the org has none', async () => {
      sim.state.records.EngagementChannelType.clear();
      sim.state.records.DataUsePurpose.clear();
      const { connector: c } = await connector({ mapping: { targets: ['Contact', 'Lead'] } });
      const mapping = await c.ensureSetup();
      expect(records('EngagementChannelType')).toEqual([
        expect.objectContaining({
          Id: mapping.engagementChannelTypeId,
          Name: 'WhatsApp',
          ContactPointType: 'Phone',
        }),
      ]);
      expect(records('DataUsePurpose')).toEqual([
        expect.objectContaining({ Id: mapping.dataUsePurposeId, Name: 'Marketing' }),
      ]);
      expect(mapping.targets).toEqual(['Contact', 'Lead']);
    });

    it('uses the ids the mapping already holds without asking Salesforce', async () => {
      const { connector: c } = await connector({
        mapping: {
          engagementChannelTypeId: records('EngagementChannelType')[0].Id,
          dataUsePurposeId: records('DataUsePurpose')[0].Id,
        },
      });
      const before = apiCalls().length;
      await c.ensureSetup();
      expect(apiCalls().length).toBe(before);
    });
  });

  describe('pushConsent', () => {
    it('writes a withdrawal as a new Individual and an OptOut ContactPointTypeConsent', async () => {
      const contactId = seedContact();
      const { connector: c } = await connector();
      const [outcome] = await c.pushConsent([push()]);

      const individual = records('Individual')[0];
      expect(individual).toMatchObject({ FirstName: 'Ada', LastName: 'Lovelace' });
      expect(sim.state.records.Contact.get(contactId)?.IndividualId).toBe(individual.Id);
      expect(records('ContactPointTypeConsent')).toEqual([
        expect.objectContaining({
          Name: 'WhatsApp Marketing',
          PartyId: individual.Id,
          ContactPointType: 'Phone',
          EngagementChannelTypeId: records('EngagementChannelType')[0].Id,
          DataUsePurposeId: records('DataUsePurpose')[0].Id,
          PrivacyConsentStatus: 'OptOut',
          EffectiveFrom: '2026-03-01T10:00:00.000+0000',
          CaptureDate: '2026-03-01T10:00:00.000+0000',
          CaptureSource: 'ConsentGateway:evt-stop',
          CaptureContactPointType: 'Phone',
        }),
      ]);
      expect(succeeded(outcome)).toMatchObject({
        records: [{ remoteId: contactId, recordType: 'Contact' }],
        vendorReference: records('ContactPointTypeConsent')[0].Id,
        pushed: {
          PrivacyConsentStatus: 'OptOut',
          EffectiveFrom: '2026-03-01T10:00:00.000Z',
          individualIds: [individual.Id],
        },
      });
    });

    it('flips the same record to OptIn on a later grant, without a duplicate', async () => {
      const contactId = seedContact();
      const { connector: c } = await connector();
      const first = succeeded((await c.pushConsent([push()]))[0]);
      const consentId = records('ContactPointTypeConsent')[0].Id;

      const grant = push({ states: [state('granted', '2026-03-02T09:00:00.000Z', 'evt-start')] });
      const byPhone = succeeded((await c.pushConsent([grant]))[0]);
      expect(byPhone.records).toEqual([{ remoteId: contactId, recordType: 'Contact' }]);
      expect(first.records).toEqual(byPhone.records);
      expect(records('ContactPointTypeConsent')).toEqual([
        expect.objectContaining({
          Id: consentId,
          PrivacyConsentStatus: 'OptIn',
          CaptureSource: 'ConsentGateway:evt-start',
        }),
      ]);

      // With the stored link (the Contact) no search is made.
      const again = push({
        remoteId: contactId,
        states: [state('withdrawn', '2026-03-03T09:00:00.000Z', 'evt-stop-2')],
      });
      const before = apiCalls().length;
      expect(succeeded((await c.pushConsent([again]))[0]).pushed).toMatchObject({
        PrivacyConsentStatus: 'OptOut',
      });
      expect(
        apiCalls()
          .slice(before)
          .some((r) => r.path.includes('/search?')),
      ).toBe(false);
      expect(records('ContactPointTypeConsent')).toHaveLength(1);
      expect(records('Individual')).toHaveLength(1);
    });

    it('leaves a record that already says the same alone', async () => {
      seedContact();
      const { connector: c } = await connector();
      await c.pushConsent([push()]);
      const stamp = records('ContactPointTypeConsent')[0].SystemModstamp;
      await sleep(5);
      succeeded((await c.pushConsent([push()]))[0]);
      expect(records('ContactPointTypeConsent')[0].SystemModstamp).toBe(stamp);
      expect(apiCalls().filter((r) => r.method === 'PATCH')).toHaveLength(1); // the Contact link only
    });

    it('pushes a batch of 150 people in a handful of calls', async () => {
      const contacts = Array.from({ length: 150 }, (_, i) => ({
        LastName: `Person ${i}`,
        MobilePhone: `+1415555${String(i).padStart(4, '0')}`,
      }));
      sim.seed({ contacts });
      const { connector: c, deps } = await connector();
      const before = apiCalls().length;
      const outcomes = await c.pushConsent(contacts.map((p) => push({ phone: p.MobilePhone })));
      const calls = apiCalls().length - before;

      expect(outcomes.every((o) => o.outcome === 'succeeded')).toBe(true);
      expect(records('ContactPointTypeConsent')).toHaveLength(150);
      expect(new Set(records('Individual').map((r) => r.Id)).size).toBe(150);
      // 2 setup lookups + the ContactPointPhone probe + 2 SOSL searches (several people each) + Individual create
      // + Contact link + consent query + consent create.
      expect(calls).toBeLessThanOrEqual(9);
      expect(apiCalls().filter((r) => r.path.includes('/search?'))).toHaveLength(2);
      expect(deps.pace).toHaveBeenCalledTimes(calls);
    });

    it('finds people by MobilePhone or Phone in one SOSL search, without comparing phones in SOQL', async () => {
      const byMobile = seedContact();
      const byPhone = seedContact({ FirstName: 'Grace', MobilePhone: null, Phone: '+16505550102' });
      const { connector: c } = await connector();
      await c.ensureSetup();
      const before = apiCalls().length;
      const outcomes = await c.pushConsent([push(), push({ phone: '+16505550102' })]);
      expect(outcomes.map((o) => o.outcome)).toEqual(['succeeded', 'succeeded']);
      const calls = apiCalls()
        .slice(before)
        .filter((r) => r.method === 'GET')
        .map((r) => decodeURIComponent(r.path.replace(/\+/g, ' ')));
      expect(calls.filter((q) => q.includes('/search?'))).toHaveLength(1);
      // The ContactPointPhone probe and the existing consent records; no phone compared in SOQL.
      expect(calls.filter((q) => q.includes('/query?'))).toHaveLength(2);
      expect(calls.some((q) => /Phone IN/.test(q))).toBe(false);
      const linked = records('Contact').filter((r) => r.IndividualId);
      expect(linked.map((r) => r.Id).sort()).toEqual([byMobile, byPhone].sort());
    });

    it('skips a phone Salesforce does not know, and a person with no identity', async () => {
      seedContact();
      const { connector: c } = await connector();
      const outcomes = await c.pushConsent([
        push({ phone: '+447700900123' }),
        push({ phone: null, remoteId: null }),
        push(),
      ]);
      expect(outcomes.map((o) => (o.outcome === 'skipped' ? o.reason : o.outcome))).toEqual([
        'not_found_at_vendor',
        'missing_identity',
        'succeeded',
      ]);
    });

    it('fails only the item Salesforce refuses and writes the others', async () => {
      const good = seedContact();
      const bad = seedContact({ MobilePhone: '+16505550102' });
      // A value Salesforce accepted on the Contact but refuses on the Individual (as a validation rule would).
      sim.state.records.Contact.get(bad)!.LastName = 'x'.repeat(300);
      const { connector: c } = await connector();
      const [ok, refused] = await c.pushConsent([push(), push({ phone: '+16505550102' })]);
      expect(ok.outcome).toBe('succeeded');
      expect(refused).toMatchObject({ outcome: 'failed', error: { errorClass: 'permanent' } });
      expect(refused.outcome === 'failed' && refused.error.message).toMatch(/STRING_TOO_LONG/);
      expect(sim.state.records.Contact.get(good)?.IndividualId).toBeTruthy();
      expect(records('ContactPointTypeConsent')).toHaveLength(1);
    });
  });

  describe('errors', () => {
    it('refreshes an expired token once through jsforce and hands the new credentials over', async () => {
      seedContact();
      const { connector: c, deps, credentials } = await connector();
      sim.injectFault({ kind: 'expire_tokens' });
      const [outcome] = await c.pushConsent([push()]);
      expect(outcome.outcome).toBe('succeeded');
      expect(sim.state.counters.refreshGrants).toBe(1);
      expect(deps.beforeRefresh).toHaveBeenCalledTimes(1);
      expect(deps.onCredentials).toHaveBeenCalledTimes(1);
      const stored = jest.mocked(deps.onCredentials).mock.calls[0][0];
      expect(stored).toMatchObject({
        refreshToken: credentials.refreshToken,
        instanceUrl: base,
        expiresAt: null,
      });
      expect(stored.accessToken).not.toBe(credentials.accessToken);

      // The next unit of work uses the refreshed token: no second refresh.
      expect((await c.test()).ok).toBe(true);
      expect(sim.state.counters.refreshGrants).toBe(1);
    });

    it('ends "refresh OK but 401 persists" as AuthFailedError after one refresh, without retrying', async () => {
      seedContact();
      const { connector: c, deps } = await connector();
      sim.injectFault({ kind: 'refresh_ok_but_401_persists' });
      const err = await failureOf(c.pushConsent([push()]));
      expect(err).toBeInstanceOf(AuthFailedError);
      // One refused call, one refresh, the call once more refused: then it gives up.
      expect(sim.state.counters.unauthorized).toBe(2);
      expect(sim.state.counters.refreshGrants).toBe(1);
      expect(deps.beforeRefresh).toHaveBeenCalledTimes(1);
    });

    it('lets the refresh guard refuse a refresh', async () => {
      const deps = makeDeps({
        beforeRefresh: async () => {
          throw new AuthFailedError('token refreshed 6 times in 10 minutes');
        },
      });
      const { connector: c } = await connector({ deps });
      sim.injectFault({ kind: 'expire_tokens' });
      const err = await failureOf(c.ensureSetup());
      expect(err).toBeInstanceOf(AuthFailedError);
      expect((err as Error).message).toMatch(/6 times/);
      expect(sim.state.counters.refreshGrants).toBe(0);
    });

    it('classes a refused refresh token as AuthFailedError', async () => {
      const { connector: c } = await connector();
      sim.injectFault({ kind: 'expire_tokens' });
      sim.injectFault({ kind: 'refresh_fails', count: 2 });
      const err = await failureOf(c.ensureSetup());
      expect(err).toBeInstanceOf(AuthFailedError);
      expect((err as Error).message).toMatch(/invalid_grant/);
      expect(await c.test()).toMatchObject({ ok: false });
    });

    it('classes REQUEST_LIMIT_EXCEEDED as RateLimitedError with a long back-off', async () => {
      seedContact();
      const { connector: c } = await connector();
      sim.injectFault({ kind: 'request_limit' });
      const err = await failureOf(c.pushConsent([push()]));
      expect(err).toBeInstanceOf(RateLimitedError);
      expect((err as RateLimitedError).retryAfterMs).toBeGreaterThanOrEqual(15 * 60_000);
    });

    it('classes a 500 on a POST as TransientError', async () => {
      seedContact();
      const { connector: c } = await connector();
      await c.ensureSetup();
      sim.injectFault({ kind: '500', method: 'POST' });
      const err = await failureOf(c.pushConsent([push()]));
      expect(err).toBeInstanceOf(TransientError);
      expect((err as Error).message).toMatch(/UNKNOWN_EXCEPTION/);
    });

    it('abandons a request that never answers at its deadline, as TransientError', async () => {
      seedContact();
      const { connector: c } = await connector({ requestTimeoutMs: 300 });
      await c.ensureSetup();
      sim.injectFault({ kind: 'timeout', method: 'POST', hangMs: 3_000 });
      const err = await failureOf(c.pushConsent([push()]));
      expect(err).toBeInstanceOf(TransientError);
      // Abandoned by the client's own deadline, not failed by the socket the simulator destroys later.
      expect((err as Error).message).toMatch(/did not answer .* within 300 ms/);
    });

    it('fails the item, permanently and with the message Salesforce gives, when the mapping names records the org lacks', async () => {
      const { connector: c } = await connector({
        mapping: { engagementChannelTypeId: makeId('0eB', 9999), dataUsePurposeId: makeId('0ZW', 9999) },
      });
      seedContact();
      const [outcome] = await c.pushConsent([push()]);
      expect(outcome).toMatchObject({ outcome: 'failed', error: { errorClass: 'permanent' } });
      expect(outcome.outcome === 'failed' && outcome.error.message).toMatch(/INVALID_CROSS_REFERENCE_KEY/);
    });
  });

  describe('test', () => {
    it('reports a working connection', async () => {
      const { connector: c } = await connector();
      expect(await c.test()).toEqual({
        ok: true,
        detail: expect.stringMatching(/WhatsApp engagement channel exists/),
      });
    });
  });

  describe('listContacts', () => {
    it('pages through 450 contacts with their WhatsApp consent', async () => {
      sim.seed({ contacts: 449 });
      const contactId = seedContact({ MobilePhone: '+16505559999' });
      const { connector: c } = await connector();
      await c.pushConsent([push({ phone: '+16505559999' })]);

      const seen: string[] = [];
      const pages: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await c.listContacts(cursor, 200);
        pages.push(page.contacts.length);
        seen.push(...page.contacts.map((p) => p.remoteId));
        const withConsent = page.contacts.find((p) => p.phones.some((ph) => ph.value === '+16505559999'));
        if (withConsent) {
          expect(withConsent).toMatchObject({
            remoteId: contactId,
            recordType: 'Contact',
            consent: {
              status: 'withdrawn',
              capturedAt: '2026-03-01T10:00:00.000Z',
              ownWriteEventId: 'evt-stop',
            },
          });
        }
        cursor = page.next;
      } while (cursor);
      // Then the Leads (the default targets are Contacts and Leads): none in this org.
      expect(pages).toEqual([200, 200, 50, 0]);
      expect(new Set(seen).size).toBe(450);
    });
  });

  describe('pollChanges', () => {
    it('sees a CRM user edit after the cursor and flags the gateway’s own writes', async () => {
      const firstContact = seedContact();
      const other = seedContact({ FirstName: 'Grace', LastName: 'Hopper', MobilePhone: '+16505550102' });
      const { connector: c, credentials } = await connector();
      await c.pushConsent([push()]);
      const first = { contact: firstContact, ...(await c.pollChanges(null)) };
      expect(first.changes).toEqual([]);
      await sleep(5);

      // A CRM user opts the first person back in through the API (no gateway CaptureSource) ...
      const crm = new Connection({
        instanceUrl: base,
        accessToken: credentials.accessToken!,
        version: SALESFORCE_API_VERSION,
      });
      const consentId = records('ContactPointTypeConsent')[0].Id;
      await crm.sobject('ContactPointTypeConsent').update({
        Id: consentId,
        PrivacyConsentStatus: 'OptIn',
        EffectiveFrom: '2026-03-05T08:00:00.000Z',
        CaptureSource: 'Salesforce UI',
      });
      // ... and the gateway writes for the second.
      await c.pushConsent([
        push({ phone: '+16505550102', states: [state('withdrawn', '2026-03-05T09:00:00Z', 'evt-2')] }),
      ]);

      const second = await c.pollChanges(first.cursor);
      const byId = new Map(second.changes.map((ch) => [ch.remoteId, ch]));
      expect(second.changes).toHaveLength(2);
      expect(byId.get(first.contact)).toMatchObject({
        recordType: 'Contact',
        phones: [{ field: 'MobilePhone', value: '+16505550101' }],
        consent: {
          status: 'granted',
          capturedAt: '2026-03-05T08:00:00.000Z',
          scope: null,
          ownWriteEventId: null,
        },
      });
      expect(byId.get(other)).toMatchObject({
        recordType: 'Contact',
        phones: [{ field: 'MobilePhone', value: '+16505550102' }],
        consent: {
          status: 'withdrawn',
          capturedAt: '2026-03-05T09:00:00.000Z',
          scope: null,
          ownWriteEventId: 'evt-2',
        },
      });

      const third = await c.pollChanges(second.cursor);
      expect(third.changes).toEqual([]);
    });

    it('reads every change exactly once across batches and shared SystemModstamps', async () => {
      const contacts = Array.from({ length: 250 }, (_, i) => ({
        LastName: `Person ${i}`,
        MobilePhone: `+1415555${String(i).padStart(4, '0')}`,
      }));
      sim.seed({ contacts });
      const { connector: c } = await connector();
      const { cursor } = await c.pollChanges(null);
      await c.pushConsent(contacts.map((p) => push({ phone: p.MobilePhone })));
      // Salesforce stamps every record of one transaction alike: make them share one instant.
      const stamp = records('ContactPointTypeConsent')[0].SystemModstamp;
      for (const r of records('ContactPointTypeConsent').slice(0, 220)) r.SystemModstamp = stamp;

      const polled = await c.pollChanges(cursor);
      expect(polled.changes).toHaveLength(250);
      expect(new Set(polled.changes.map((ch) => ch.remoteId)).size).toBe(250);
      expect(polled.changes.every((ch) => ch.consent?.ownWriteEventId === 'evt-stop')).toBe(true);
      expect((await c.pollChanges(polled.cursor)).changes).toEqual([]);
    });
  });
});

describe(SalesforceOAuth.name, () => {
  it('builds the authorize URL with the api and refresh_token scopes', () => {
    const url = new URL(
      oauth.authorizeUrl({
        authBaseUrl: 'https://login.salesforce.com',
        redirectUri: REDIRECT_URI,
        state: 's1',
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe('https://login.salesforce.com/services/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      state: 's1',
      scope: 'api refresh_token',
    });
  });

  it('exchanges the code for tokens, the instance URL and the org id', async () => {
    const result = await connect();
    expect(result).toEqual({
      credentials: {
        accessToken: expect.stringMatching(/^00D\w+!/),
        refreshToken: expect.any(String),
        instanceUrl: base,
        expiresAt: null,
      },
      externalAccountId: ORG_ID,
    });
  });

  it('refreshes the access token and keeps the refresh token', async () => {
    const { credentials } = await connect();
    const next = await oauth.refresh(contextFor(credentials));
    expect(next.accessToken).not.toBe(credentials.accessToken);
    expect(next.refreshToken).toBe(credentials.refreshToken);
    expect(next.instanceUrl).toBe(base);
  });

  it('classes a refused code or refresh token as AuthFailedError', async () => {
    const err = await failureOf(
      oauth.exchangeCode({ apiBaseUrl: base, code: 'nope', redirectUri: REDIRECT_URI }),
    );
    expect(err).toBeInstanceOf(AuthFailedError);
    const { credentials } = await connect();
    sim.injectFault({ kind: 'refresh_fails' });
    expect(await failureOf(oauth.refresh(contextFor(credentials)))).toBeInstanceOf(AuthFailedError);
  });
});
