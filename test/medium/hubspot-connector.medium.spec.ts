import {
  AuthExpiredError,
  AuthFailedError,
  type ConnectionContext,
  type ConnectionCredentials,
  type ConnectorDeps,
  type ConsentPush,
  type ConsentStateSnapshot,
  PermanentError,
  RateLimitedError,
  TransientError,
} from '../../src/modules/connectors/connector.port';
import { HubspotConnector, HubspotOAuth } from '../../src/modules/connectors/hubspot';
import { HubSpotSimulator, type CallLogEntry } from '../../sandbox/hubspot';
import { sandboxOutbound } from '../support/outbound';

/**
 * HubspotConnector against the HubSpot simulator, through the real @hubspot/api-client. No database:
 * the connection context and the connector's dependencies are built by hand.
 */

const PAT = 'pat-na1-sandbox';
const REDIRECT_URI = 'https://gateway.example.com/v1/connections/hubspot/callback';

const sim = new HubSpotSimulator({ rateLimit: { max: 10_000, windowMs: 10_000 }, timeoutFaultMs: 300 });
let baseUrl: string;

function context(
  credentials: ConnectionCredentials = { accessToken: PAT },
  mapping: Record<string, unknown> = {},
): ConnectionContext {
  return {
    id: 'conn-hubspot-1',
    type: 'hubspot',
    name: 'HubSpot sandbox',
    baseUrl,
    loginUrl: null,
    externalAccountId: '1000001',
    mapping,
    erasureMode: 'vendor_gdpr_delete',
    credentials,
    phoneRegion: null,
  };
}

function deps(beforeRefresh: ConnectorDeps['beforeRefresh'] = jest.fn(async () => {})) {
  return {
    onCredentials: jest.fn(async (_c: ConnectionCredentials) => {}),
    beforeRefresh,
    pace: jest.fn(async () => {}),
    oauthClient: { clientId: sim.clientId, clientSecret: sim.clientSecret },
    publicBaseUrl: 'http://gateway.test',
    outbound: sandboxOutbound(),
  };
}

function withdrawal(overrides: Partial<ConsentStateSnapshot> = {}): ConsentStateSnapshot {
  return {
    purpose: 'marketing',
    channel: 'whatsapp',
    scope: '*',
    status: 'withdrawn',
    capturedAt: '2025-06-01T09:30:00.000Z',
    source: 'whatsapp',
    eventId: 'evt-stop-1',
    method: 'wa_keyword',
    legalBasis: 'consent',
    ...overrides,
  };
}

/** A push for one person, given by their (single) phone, email and record id. */
type PushOf = Partial<Omit<ConsentPush, 'phones' | 'emails' | 'remoteIds'>> & {
  phone?: string | null;
  email?: string | null;
  remoteId?: string | null;
};

function push(n: number, overrides: PushOf = {}): ConsentPush {
  const { phone = null, email = null, remoteId = null, ...rest } = overrides;
  return {
    deliveryId: `delivery-${n}`,
    subjectId: `subject-${n}`,
    phones: phone ? [phone] : [],
    waId: null,
    emails: email ? [email] : [],
    remoteIds: remoteId ? [remoteId] : [],
    states: [withdrawal({ eventId: `evt-${n}` })],
    ...rest,
  };
}

/** Seeds `count` contacts (phone and WhatsApp phone set) and returns their ids. */
function seed(count: number, properties?: Record<string, string>): string[] {
  const { firstId } = sim.seedContacts({ count, whatsapp: true, properties });
  return Array.from({ length: count }, (_, i) => String(Number(firstId) + i));
}

const contact = (id: string) => sim.portal().contacts.get(id)!;
const calls = (since: number): CallLogEntry[] => sim.state.callLog.recent.slice(since);
const mark = () => sim.state.callLog.recent.length;
const count = (entries: CallLogEntry[], method: string, path: string) =>
  entries.filter((e) => e.method === method && e.path.split('?')[0] === path).length;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function setUp(): Promise<Record<string, unknown>> {
  return new HubspotConnector(context(), deps()).ensureSetup();
}

/** OAuth credentials for the default portal, as the connect flow stores them. */
async function oauthCredentials(): Promise<ConnectionCredentials> {
  const code = sim.issueAuthorizationCode({ redirectUri: REDIRECT_URI });
  const oauth = new HubspotOAuth(
    { clientId: sim.clientId, clientSecret: sim.clientSecret },
    sandboxOutbound(),
  );
  return (await oauth.exchangeCode({ apiBaseUrl: baseUrl, code, redirectUri: REDIRECT_URI })).credentials;
}

describe(HubspotConnector.name, () => {
  beforeAll(async () => {
    baseUrl = await sim.start();
  });

  afterAll(() => sim.stop());

  beforeEach(() => sim.reset());

  describe('ensureSetup', () => {
    it('creates the consent properties and records the mapping', async () => {
      const mapping = await setUp();
      expect(mapping).toEqual({
        portalId: String(sim.portal().portalId),
        properties: [
          'wa_marketing_consent',
          'wa_consent_updated_at',
          'wa_consent_source',
          'wa_consent_legal_basis_explanation',
          'cg_consent_event_id',
          'consent_gateway_processing_restricted',
        ],
        propertyGroup: 'contactinformation',
        phoneProperties: ['hs_whatsapp_phone_number', 'mobilephone', 'phone'],
        emailSubscriptionId: '1001',
      });
      const consent = sim.portal().properties.get('wa_marketing_consent')!;
      expect(consent.type).toBe('enumeration');
      expect(consent.options.map((o) => o.value)).toEqual(['OPTED_IN', 'OPTED_OUT', 'UNKNOWN']);
      expect(sim.portal().properties.get('wa_consent_updated_at')?.type).toBe('datetime');
      expect(sim.portal().properties.get('cg_consent_event_id')?.type).toBe('string');
    });

    it('is idempotent: a second run creates nothing', async () => {
      const first = await setUp();
      const since = mark();
      expect(await setUp()).toEqual(first);
      expect(count(calls(since), 'POST', '/crm/v3/properties/contacts')).toBe(0);
    });

    it('leaves out the WhatsApp phone property when the portal lacks it', async () => {
      const other = new HubSpotSimulator({ whatsappPhoneProperty: false });
      const url = await other.start();
      try {
        const mapping = await new HubspotConnector({ ...context(), baseUrl: url }, deps()).ensureSetup();
        expect(mapping.phoneProperties).toEqual(['mobilephone', 'phone']);
      } finally {
        await other.stop();
      }
    });
  });

  describe('pushConsent', () => {
    it('finds 50 people by phone with two searches (7 phone filters, 5 groups a search) and opts them out with one batch update', async () => {
      const mapping = await setUp();
      const ids = seed(60);
      const items = ids.slice(0, 50).map((id, i) => push(i, { phone: HubSpotSimulator.seededPhone(id) }));
      const d = deps();
      const since = mark();

      const outcomes = await new HubspotConnector(context(undefined, mapping), d).pushConsent(items);

      const log = calls(since);
      expect(count(log, 'POST', '/crm/v3/objects/contacts/search')).toBe(2);
      expect(count(log, 'POST', '/crm/v3/objects/contacts/batch/update')).toBe(1);
      expect(log).toHaveLength(3);
      expect(d.pace).toHaveBeenCalledTimes(3);
      expect(outcomes).toHaveLength(50);
      outcomes.forEach((outcome, i) =>
        expect(outcome).toMatchObject({
          deliveryId: `delivery-${i}`,
          outcome: 'succeeded',
          records: [{ remoteId: ids[i], recordType: 'contact' }],
          pushed: { wa_marketing_consent: 'OPTED_OUT', cg_consent_event_id: `evt-${i}` },
        }),
      );
      expect(contact(ids[7]).properties).toMatchObject({
        wa_marketing_consent: 'OPTED_OUT',
        wa_consent_updated_at: '2025-06-01T09:30:00.000Z',
        wa_consent_source: 'wa_keyword',
        cg_consent_event_id: 'evt-7',
      });
      expect(contact(ids[55]).properties.wa_marketing_consent).toBeUndefined();
    });

    it('finds a person by mobile phone only', async () => {
      const mapping = await setUp();
      const { firstId } = sim.seedContacts({
        contacts: [{ email: 'mo@example.com', mobilephone: '+4917000000001' }],
      });
      const [outcome] = await new HubspotConnector(context(undefined, mapping), deps()).pushConsent([
        push(1, { phone: '+4917000000001' }),
      ]);
      expect(outcome).toMatchObject({
        outcome: 'succeeded',
        records: [{ remoteId: firstId, recordType: 'contact' }],
      });
      expect(contact(firstId!).properties.wa_marketing_consent).toBe('OPTED_OUT');
    });

    it('skips a person HubSpot does not know, and one without any identity', async () => {
      const mapping = await setUp();
      const [id] = seed(1);
      const outcomes = await new HubspotConnector(context(undefined, mapping), deps()).pushConsent([
        push(1, { phone: '+4915199999999' }),
        push(2, { phone: null, email: 'nobody@example.com' }),
        push(3, { phone: HubSpotSimulator.seededPhone(id) }),
        push(4),
      ]);
      expect(outcomes).toEqual([
        { deliveryId: 'delivery-1', outcome: 'skipped', reason: 'not_found_at_vendor' },
        { deliveryId: 'delivery-2', outcome: 'skipped', reason: 'not_found_at_vendor' },
        expect.objectContaining({
          deliveryId: 'delivery-3',
          outcome: 'succeeded',
          records: [{ remoteId: id, recordType: 'contact' }],
        }),
        { deliveryId: 'delivery-4', outcome: 'skipped', reason: 'missing_identity' },
      ]);
    });

    it('uses the stored record id without searching', async () => {
      const mapping = await setUp();
      const [id] = seed(1);
      const since = mark();
      const [outcome] = await new HubspotConnector(context(undefined, mapping), deps()).pushConsent([
        push(1, { remoteId: id, phone: HubSpotSimulator.seededPhone(id) }),
      ]);
      expect(outcome).toMatchObject({
        outcome: 'succeeded',
        records: [{ remoteId: id, recordType: 'contact' }],
      });
      expect(count(calls(since), 'POST', '/crm/v3/objects/contacts/search')).toBe(0);
      expect(count(calls(since), 'POST', '/crm/v3/objects/contacts/batch/update')).toBe(1);
    });

    it('writes a later grant as OPTED_IN over an earlier opt-out', async () => {
      const mapping = await setUp();
      const [id] = seed(1);
      const connector = new HubspotConnector(context(undefined, mapping), deps());
      await connector.pushConsent([push(1, { remoteId: id })]);
      await connector.pushConsent([
        push(2, {
          remoteId: id,
          states: [
            withdrawal({ status: 'granted', eventId: 'evt-start', capturedAt: '2025-06-02T00:00:00Z' }),
          ],
        }),
      ]);
      expect(contact(id).properties).toMatchObject({
        wa_marketing_consent: 'OPTED_IN',
        cg_consent_event_id: 'evt-start',
      });
    });

    it('unsubscribes the email from marketing when the ledger withdrew email consent', async () => {
      const mapping = await setUp();
      const [id] = seed(1);
      const email = `contact${id}@example.com`;
      const [outcome] = await new HubspotConnector(context(undefined, mapping), deps()).pushConsent([
        push(1, {
          remoteId: id,
          email,
          states: [withdrawal(), withdrawal({ channel: 'email', eventId: 'evt-email' })],
        }),
      ]);
      expect(outcome.outcome).toBe('succeeded');
      expect(sim.portal().preferences.get(`EMAIL:${email}`)?.get('1001')?.state).toBe('UNSUBSCRIBED');
      expect(contact(id).properties.wa_marketing_consent).toBe('OPTED_OUT');
    });

    it('reads a 207 partial failure per item: a contact HubSpot no longer has affects only its person', async () => {
      const mapping = await setUp();
      const ids = seed(2);
      const outcomes = await new HubspotConnector(context(undefined, mapping), deps()).pushConsent([
        push(1, { remoteId: ids[0] }),
        // Linked to a contact that is gone (OBJECT_NOT_FOUND in the 207), with no phone or email to look up.
        push(2, { remoteId: '999999' }),
        push(3, { remoteId: ids[1] }),
      ]);
      expect(outcomes).toEqual([
        expect.objectContaining({ outcome: 'succeeded' }),
        { deliveryId: 'delivery-2', outcome: 'skipped', reason: 'missing_identity' },
        expect.objectContaining({ outcome: 'succeeded' }),
      ]);
      expect(contact(ids[1]).properties.wa_marketing_consent).toBe('OPTED_OUT');
    });

    it('throws RateLimitedError with the window to wait on a 429', async () => {
      const mapping = await setUp();
      const [id] = seed(1);
      sim.injectFault({ kind: '429' });
      const error = await rejection(
        new HubspotConnector(context(undefined, mapping), deps()).pushConsent([push(1, { remoteId: id })]),
      );
      expect(error).toBeInstanceOf(RateLimitedError);
      expect((error as RateLimitedError).retryAfterMs).toBe(10_000);
    });

    it('throws TransientError on a 500, a dropped connection and a call that hangs', async () => {
      const mapping = await setUp();
      const [id] = seed(1);
      const items = [push(1, { remoteId: id })];
      sim.injectFault({ kind: '500' });
      expect(
        await rejection(new HubspotConnector(context(undefined, mapping), deps()).pushConsent(items)),
      ).toBeInstanceOf(TransientError);
      sim.injectFault({ kind: 'timeout' });
      expect(
        await rejection(new HubspotConnector(context(undefined, mapping), deps()).pushConsent(items)),
      ).toBeInstanceOf(TransientError);
      sim.injectFault({ kind: 'timeout' });
      const hung = await rejection(
        new HubspotConnector(context(undefined, mapping), deps(), { timeoutMs: 100 }).pushConsent(items),
      );
      expect(hung).toBeInstanceOf(TransientError);
      expect((hung as Error).message).toContain('within 100 ms');
    });

    it('refreshes an expired OAuth token once on the 401 and succeeds', async () => {
      const mapping = await setUp();
      const [id] = seed(1);
      const credentials = await oauthCredentials();
      sim.advanceClock(31 * 60_000); // the access token is now expired at HubSpot
      const d = deps();

      const [outcome] = await new HubspotConnector(context(credentials, mapping), d).pushConsent([
        push(1, { remoteId: id }),
      ]);

      expect(outcome.outcome).toBe('succeeded');
      expect(d.beforeRefresh).toHaveBeenCalledTimes(1);
      expect(d.onCredentials).toHaveBeenCalledTimes(1);
      const saved = d.onCredentials.mock.calls[0][0];
      expect(saved.accessToken).not.toBe(credentials.accessToken);
      expect(saved.refreshToken).toBe(credentials.refreshToken);
      expect(Date.parse(saved.expiresAt!)).toBeGreaterThan(Date.now());
      expect(contact(id).properties.wa_marketing_consent).toBe('OPTED_OUT');
    });

    it('refreshes before the work when the token is about to expire', async () => {
      const mapping = await setUp();
      const [id] = seed(1);
      const credentials = await oauthCredentials();
      const d = deps();
      const since = mark();
      await new HubspotConnector(
        context({ ...credentials, expiresAt: new Date(Date.now() + 60_000).toISOString() }, mapping),
        d,
      ).pushConsent([push(1, { remoteId: id })]);
      expect(d.onCredentials).toHaveBeenCalledTimes(1);
      expect(calls(since).map((c) => c.status)).toEqual([200, 200]);
    });

    it('throws AuthFailedError when HubSpot refuses the refresh', async () => {
      const mapping = await setUp();
      const [id] = seed(1);
      const credentials = await oauthCredentials();
      sim.injectFault({ kind: 'expire_tokens' });
      sim.injectFault({ kind: 'refresh_fails' });
      const d = deps();
      const error = await rejection(
        new HubspotConnector(context(credentials, mapping), d).pushConsent([push(1, { remoteId: id })]),
      );
      expect(error).toBeInstanceOf(AuthFailedError);
      expect((error as Error).message).toContain('refresh');
      expect(d.beforeRefresh).toHaveBeenCalledTimes(1);
      expect(d.onCredentials).not.toHaveBeenCalled();
    });

    it('lets the refresh-loop guard stop the refresh', async () => {
      const mapping = await setUp();
      const credentials = await oauthCredentials();
      sim.advanceClock(31 * 60_000);
      const d = deps(async () => {
        throw new AuthFailedError('token refreshed 6 times in 10 minutes');
      });
      const error = await rejection(
        new HubspotConnector(context(credentials, mapping), d).pushConsent([push(1, { remoteId: '101' })]),
      );
      expect(error).toBeInstanceOf(AuthFailedError);
      expect(d.onCredentials).not.toHaveBeenCalled();
    });

    it('throws AuthExpiredError on a 401 it cannot refresh (private-app token)', async () => {
      const d = deps();
      const error = await rejection(
        new HubspotConnector(context({ accessToken: 'pat-na1-revoked' }), d).pushConsent([
          push(1, { remoteId: '101' }),
        ]),
      );
      expect(error).toBeInstanceOf(AuthExpiredError);
      expect(d.beforeRefresh).not.toHaveBeenCalled();
    });
  });

  describe('listContacts', () => {
    it('pages through 250 contacts in 3 pages and maps their consent', async () => {
      const mapping = await setUp();
      const ids = seed(250, {
        wa_marketing_consent: 'OPTED_OUT',
        wa_consent_updated_at: '2025-05-05T05:05:05.000Z',
        cg_consent_event_id: 'evt-own',
      });
      const connector = new HubspotConnector(context(undefined, mapping), deps());
      const pages = [];
      let cursor: string | null = null;
      do {
        const page = await connector.listContacts(cursor, 100);
        pages.push(page);
        cursor = page.next;
      } while (cursor);
      expect(pages.map((p) => p.contacts.length)).toEqual([100, 100, 50]);
      const all = pages.flatMap((p) => p.contacts);
      expect(all.map((c) => c.remoteId)).toEqual(ids);
      expect(all[0]).toEqual({
        remoteId: ids[0],
        recordType: 'contact',
        phones: [
          { field: 'hs_whatsapp_phone_number', value: HubSpotSimulator.seededPhone(ids[0]) },
          { field: 'phone', value: HubSpotSimulator.seededPhone(ids[0]) },
        ],
        email: `contact${ids[0]}@example.com`,
        region: null,
        observedAt: expect.any(String),
        unreadable: [],
        consent: {
          status: 'withdrawn',
          capturedAt: '2025-05-05T05:05:05.000Z',
          scope: null,
          ownWriteEventId: 'evt-own',
        },
      });
    });
  });

  describe('test', () => {
    it('reports a working connection, and a refused token', async () => {
      await setUp();
      expect(await new HubspotConnector(context(), deps()).test()).toEqual({
        ok: true,
        detail: 'Connected; the consent properties exist.',
      });
      const refused = await new HubspotConnector(context({ accessToken: 'nope' }), deps()).test();
      expect(refused.ok).toBe(false);
      // In generic words: a test's text must not tell network failures apart (test-outcome.ts).
      expect(refused.detail).toBe('the endpoint refused the credentials');
    });
  });
});

describe(HubspotOAuth.name, () => {
  beforeAll(async () => {
    baseUrl = await sim.start();
  });

  afterAll(() => sim.stop());

  it('sends the admin to the simulator and exchanges the code it returns', async () => {
    sim.reset();
    const oauth = new HubspotOAuth(
      { clientId: sim.clientId, clientSecret: sim.clientSecret },
      sandboxOutbound(),
    );
    const url = oauth.authorizeUrl({ authBaseUrl: baseUrl, redirectUri: REDIRECT_URI, state: 'st-123' });
    expect(url.startsWith(`${baseUrl}/oauth/authorize?`)).toBe(true);
    expect(new URL(url).searchParams.get('scope')).toBe(
      'crm.objects.contacts.read crm.objects.contacts.write crm.schemas.contacts.read crm.schemas.contacts.write oauth',
    );

    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const callback = new URL(res.headers.get('location')!);
    expect(callback.searchParams.get('state')).toBe('st-123');

    const result = await oauth.exchangeCode({
      apiBaseUrl: baseUrl,
      code: callback.searchParams.get('code')!,
      redirectUri: REDIRECT_URI,
    });
    expect(result.externalAccountId).toBe('1000001');
    expect(result.credentials).toMatchObject({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
    });
    const ttl = Date.parse(result.credentials.expiresAt!) - Date.now();
    expect(ttl).toBeGreaterThan(29 * 60_000);
    expect(ttl).toBeLessThanOrEqual(30 * 60_000);

    const refreshed = await oauth.refresh({ ...context(result.credentials) });
    expect(refreshed.accessToken).not.toBe(result.credentials.accessToken);
  });

  it('refuses a code used twice with a permanent error', async () => {
    const oauth = new HubspotOAuth(
      { clientId: sim.clientId, clientSecret: sim.clientSecret },
      sandboxOutbound(),
    );
    const code = sim.issueAuthorizationCode({ redirectUri: REDIRECT_URI });
    await oauth.exchangeCode({ apiBaseUrl: baseUrl, code, redirectUri: REDIRECT_URI });
    expect(
      await rejection(oauth.exchangeCode({ apiBaseUrl: baseUrl, code, redirectUri: REDIRECT_URI })),
    ).toBeInstanceOf(PermanentError);
  });
});
