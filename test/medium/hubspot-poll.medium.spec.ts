import type { ConnectionContext, ConnectorDeps } from '../../src/modules/connectors/connector.port';
import { canPollChanges } from '../../src/modules/connectors/connector.port';
import { HubspotConnector } from '../../src/modules/connectors/hubspot';
import { HubSpotSimulator } from '../../sandbox/hubspot';
import { sandboxOutbound } from '../support/outbound';

/**
 * The HubSpot change poll against the simulator, through the real @hubspot/api-client: a search on
 * lastmodifieddate whose index lags writes by 5 s. The simulator and the connector share one hand-driven
 * clock, so "now" is the same on both sides.
 */

const T0 = Date.parse('2025-06-01T12:00:00.000Z');
const LAG_MS = 5_000;
let clock = T0;

const sim = new HubSpotSimulator({
  rateLimit: { max: 100_000, windowMs: 10_000 },
  // The clock stands still between requests: a per-second search limit would never refill.
  searchRateLimit: null,
  searchLagMs: LAG_MS,
  now: () => clock,
});
let baseUrl: string;

function deps(): ConnectorDeps {
  return {
    onCredentials: async () => {},
    beforeRefresh: async () => {},
    pace: async () => {},
    oauthClient: null,
    publicBaseUrl: 'http://gateway.test',
    outbound: sandboxOutbound(),
  };
}

function context(mapping: Record<string, unknown>): ConnectionContext {
  return {
    id: 'conn-hubspot-poll',
    type: 'hubspot',
    name: 'HubSpot sandbox',
    baseUrl,
    loginUrl: null,
    externalAccountId: String(sim.portal().portalId),
    mapping,
    erasureMode: 'vendor_gdpr_delete',
    credentials: { accessToken: 'pat-na1-sandbox' },
    phoneRegion: null,
  };
}

async function connector(): Promise<HubspotConnector> {
  const mapping = await new HubspotConnector(context({}), deps(), { now: () => clock }).ensureSetup();
  return new HubspotConnector(context(mapping), deps(), { now: () => clock });
}

function create(properties: Record<string, string>): string {
  return sim.seedContacts({ contacts: [properties] }).firstId!;
}

const searches = (since: number) =>
  sim.state.callLog.recent.slice(since).filter((c) => c.path.startsWith('/crm/v3/objects/contacts/search'))
    .length;

describe('HubspotConnector.pollChanges', () => {
  beforeAll(async () => {
    baseUrl = await sim.start();
  });

  afterAll(() => sim.stop());

  beforeEach(() => {
    sim.reset();
    clock = T0;
  });

  it('is a change poller naming contacts', async () => {
    const hubspot = await connector();
    expect(canPollChanges(hubspot)).toBe(true);
    expect(hubspot.changeRecordKind).toBe('contact');
  });

  it('starts from now, then sees a contact created after the cursor, once', async () => {
    const hubspot = await connector();
    create({ email: 'old@example.com', phone: '+49 30 1234567' });
    clock += 60_000;
    const start = await hubspot.pollChanges(null);
    expect(start.changes).toEqual([]);

    clock += 60_000;
    const id = create({
      email: 'new@example.com',
      phone: '0151 12345678',
      hs_country_region_code: 'DE',
      wa_marketing_consent: 'OPTED_OUT',
      wa_consent_updated_at: '2025-06-01T12:01:00.000Z',
    });
    clock += 10_000;
    const first = await hubspot.pollChanges(start.cursor);
    expect(first.changes).toEqual([
      {
        remoteId: id,
        recordType: 'contact',
        phones: [{ field: 'phone', value: '0151 12345678' }],
        email: 'new@example.com',
        region: 'DE',
        observedAt: new Date(T0 + 120_000).toISOString(),
        unreadable: [],
        consent: {
          status: 'withdrawn',
          capturedAt: '2025-06-01T12:01:00.000Z',
          scope: null,
          ownWriteEventId: null,
        },
      },
    ]);

    clock += 10_000;
    expect((await hubspot.pollChanges(first.cursor)).changes).toEqual([]);
  });

  it('reports a contact that was not yet searchable at the last poll (index lag) in the next one', async () => {
    const hubspot = await connector();
    let { cursor } = await hubspot.pollChanges(null);
    clock += 60_000;
    const early = create({ email: 'early@example.com' });
    clock += 10_000;
    const lagging = create({ email: 'lagging@example.com' });
    clock += 1_000;

    const first = await hubspot.pollChanges(cursor);
    expect(first.changes.map((c) => c.remoteId)).toEqual([early]);
    cursor = first.cursor;

    clock += 10_000;
    const second = await hubspot.pollChanges(cursor);
    expect(second.changes.map((c) => c.remoteId)).toEqual([lagging]);
  });

  it('pages through 700 changes, 450 of them in the same millisecond, each reported once', async () => {
    const hubspot = await connector();
    const { cursor } = await hubspot.pollChanges(null);
    clock += 60_000;
    sim.seedContacts({ count: 450 });
    clock += 1_000;
    sim.seedContacts({ count: 250 });
    clock += 10_000;
    const since = sim.state.callLog.recent.length;

    const batch = await hubspot.pollChanges(cursor);

    expect(batch.changes).toHaveLength(700);
    expect(new Set(batch.changes.map((c) => c.remoteId)).size).toBe(700);
    expect(searches(since)).toBeGreaterThanOrEqual(4);
    clock += 10_000;
    expect((await hubspot.pollChanges(batch.cursor)).changes).toEqual([]);
  });

  it("reports a contact again when it changes again, the gateway's own write included", async () => {
    const hubspot = await connector();
    let { cursor } = await hubspot.pollChanges(null);
    clock += 60_000;
    const id = create({ email: 'jane@example.com' });
    clock += 10_000;
    ({ cursor } = await hubspot.pollChanges(cursor));

    await hubspot.pushConsent([
      {
        deliveryId: 'delivery-1',
        subjectId: 'subject-1',
        phones: [],
        waId: null,
        emails: [],
        remoteIds: [id],
        states: [
          {
            purpose: 'marketing',
            channel: 'whatsapp',
            scope: '*',
            status: 'granted',
            capturedAt: '2025-06-01T12:01:05.000Z',
            source: 'whatsapp',
            eventId: 'evt-own',
            method: 'wa_keyword',
            legalBasis: 'consent',
          },
        ],
      },
    ]);
    clock += 10_000;
    const again = await hubspot.pollChanges(cursor);
    expect(again.changes).toHaveLength(1);
    expect(again.changes[0]).toMatchObject({
      remoteId: id,
      consent: { status: 'granted', ownWriteEventId: 'evt-own' },
    });
  });

  it('reports an unreadable consent time instead of failing, in a poll and in a backfill page', async () => {
    const hubspot = await connector();
    const { cursor } = await hubspot.pollChanges(null);
    clock += 60_000;
    const id = create({ email: 'odd@example.com', wa_marketing_consent: 'OPTED_OUT' });
    // A value HubSpot holds from an old import, which no datetime can represent.
    sim.portal().contacts.get(id)!.properties.wa_consent_updated_at = '99999999999999999';
    clock += 10_000;

    const polled = await hubspot.pollChanges(cursor);
    const listed = (await hubspot.listContacts(null, 100)).contacts.find((c) => c.remoteId === id);

    for (const contact of [polled.changes[0], listed]) {
      expect(contact).toMatchObject({
        remoteId: id,
        unreadable: [{ field: 'wa_consent_updated_at', reason: 'unreadable_timestamp' }],
        consent: { status: 'withdrawn', capturedAt: new Date(T0 + 60_000).toISOString() },
      });
    }
  });
});
