import { HubSpotSimulator, sendWebhooks } from '../../sandbox/hubspot';
import { SalesforceSimulator } from '../../sandbox/salesforce';
import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { connectByOAuth, SANDBOX_CLIENT, sandboxEnv, signDpas } from '../support/sandbox';
import { messageEventId, textWebhook } from '../support/whatsapp';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';

const PHONE = '+16315551181';
const WA_ID = '16315551181';
const CLIENT = SANDBOX_CLIENT;

const stop = (wamid: string, timestamp: number) => textWebhook({ wamid, from: WA_ID, timestamp });

describe('propagation to HubSpot, Salesforce and a webhook processor', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const hubspot = new HubSpotSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  const salesforce = new SalesforceSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  let processor: WebhookProcessorSimulator;
  let hubspotUrl: string;
  let salesforceUrl: string;
  let processorUrl: string;
  const connections: Record<string, string> = {};
  let hubspotContactId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    hubspotUrl = await hubspot.start();
    salesforceUrl = await salesforce.start();
    processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    processorUrl = await processor.start();
    const port = await freePort();
    const config = testConfig(db.url, sandboxEnv(port));
    gw = await startTestApp({ databaseUrl: db.url, config });

    // The same person in both CRMs, by the phone number WhatsApp will report.
    hubspotContactId = hubspot.seedContacts({
      contacts: [{ firstname: 'Kerry', hs_whatsapp_phone_number: PHONE, phone: PHONE }],
    }).firstId!;
    salesforce.seed({ contacts: [{ LastName: 'Fisher', MobilePhone: PHONE }] });

    const hs = await gw.api('/v1/connections', {
      method: 'POST',
      json: {
        type: 'hubspot',
        name: 'HubSpot sandbox',
        base_url: hubspotUrl,
        credentials: { access_token: 'pat-na1-sandbox' },
      },
    });
    expect(hs.status).toBe(201);
    connections.hubspot = (await json(hs)).id;

    // Salesforce through the real OAuth web-server flow: gateway → vendor consent screen → callback.
    connections.salesforce = await connectByOAuth(gw.api, 'salesforce', salesforceUrl, 'Salesforce sandbox');

    const wh = await gw.api('/v1/connections', {
      method: 'POST',
      json: { type: 'webhook', name: 'Analytics processor', credentials: { url: `${processorUrl}/hooks` } },
    });
    expect(wh.status).toBe(201);
    const webhook = await json(wh);
    expect(webhook.signing_secret).toMatch(/^whsec_/);
    processor.useSecret(webhook.signing_secret);
    connections.webhook = webhook.id;
    await signDpas(gw, Object.values(connections));
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([hubspot.stop(), salesforce.stop(), processor?.stop()]);
    await db?.drop();
  });

  const deliveriesOf = async (subjectId: string) =>
    (await json(await gw.api(`/v1/deliveries?subject_id=${subjectId}`))).deliveries as {
      connection_id: string;
      status: string;
      attempts: number;
    }[];

  it('connects each account without ever returning its secrets', async () => {
    const list = await json(await gw.api('/v1/connections'));
    expect(list.connections.map((c: { type: string }) => c.type).sort()).toEqual([
      'hubspot',
      'salesforce',
      'webhook',
    ]);
    const text = JSON.stringify(list);
    expect(text).not.toContain('pat-na1-sandbox');
    expect(text).not.toMatch(/whsec_|access_token|refresh_token/);
    const hs = list.connections.find((c: { type: string }) => c.type === 'hubspot');
    expect(hs.external_account_id).toBe(String(hubspot.portal().portalId));
    expect(hs.last_test_result.ok).toBe(true);
  });

  it('refuses a base_url whose host is not allow-listed', async () => {
    const res = await gw.api('/v1/connections', {
      method: 'POST',
      json: {
        type: 'hubspot',
        name: 'x',
        base_url: 'http://169.254.169.254',
        credentials: { access_token: 'pat-na1-sandbox' },
      },
    });
    expect(res.status).toBe(400);
    expect((await json(res)).errors[0].field).toBe('base_url');
  });

  it('refuses a webhook URL that resolves to a private address', async () => {
    const res = await gw.api('/v1/connections', {
      method: 'POST',
      json: { type: 'webhook', name: 'internal', credentials: { url: 'https://10.0.0.5/hook' } },
    });
    expect(res.status).toBe(400);
    expect((await json(res)).errors[0].field).toBe('credentials.url');
  });

  it('takes a STOP typed on WhatsApp to HubSpot, Salesforce and the processor, with every delivery succeeded', async () => {
    const res = await gw.postWebhook(stop('wamid.PROP1', Math.floor(Date.now() / 1000)));
    expect(res.status).toBe(200);

    const subjectId = await eventually(async () => {
      const rows = await db.query<{ subject_id: string }>(
        `SELECT subject_id FROM consent_event WHERE source_event_id = $1`,
        [messageEventId(gw.config, 'wamid.PROP1')],
      );
      return rows[0]?.subject_id;
    });
    const deliveries = await eventually(async () => {
      const all = await deliveriesOf(subjectId);
      return all.length === 3 && all.every((d) => d.status === 'succeeded') ? all : null;
    });
    expect(deliveries.map((d) => d.connection_id).sort()).toEqual(Object.values(connections).sort());

    const contact = hubspot.portal().contacts.get(hubspotContactId)!;
    expect(contact.properties.wa_marketing_consent).toBe('OPTED_OUT');

    const consents = [...salesforce.state.records.ContactPointTypeConsent.values()];
    expect(consents).toHaveLength(1);
    expect(consents[0].PrivacyConsentStatus).toBe('OptOut');

    const received = processor.received.filter((r) => r.type === 'consent.changed');
    expect(received).toHaveLength(1);
    expect((received[0].payload as { data: { states: { status: string }[] } }).data.states[0].status).toBe(
      'withdrawn',
    );
  });

  it('records a consent edit made in HubSpot as a hubspot event, and does not echo it back to HubSpot', async () => {
    // The gateway's own write above comes back as a webhook too; it must be recognised and dropped.
    const echoes = hubspot.takeWebhookEvents();
    const target = `${gw.baseUrl}/webhooks/hubspot`;
    if (echoes.length) await sendWebhooks(target, CLIENT.secret, echoes);

    hubspot.simulateUiChange(hubspotContactId, { wa_marketing_consent: 'OPTED_IN' });
    const delivered = await hubspot.flushWebhooks(target, CLIENT.secret);
    expect(delivered.every((d) => d.status === 200)).toBe(true);

    const [event] = await eventually(async () => {
      const rows = await db.query<{ status: string; subject_id: string }>(
        `SELECT status, subject_id FROM consent_event WHERE source = 'hubspot'`,
      );
      return rows.length ? rows : null;
    });
    expect(event.status).toBe('granted');
    const deliveries = await eventually(async () => {
      const all = await deliveriesOf(event.subject_id);
      const open = all.filter((d) => d.status !== 'succeeded');
      return all.length === 5 && open.length === 0 ? all : null;
    });
    // The grant went to Salesforce and the processor, not back to HubSpot where it came from.
    expect(deliveries.filter((d) => d.connection_id === connections.hubspot)).toHaveLength(1);
    const consent = [...salesforce.state.records.ContactPointTypeConsent.values()][0];
    expect(consent.PrivacyConsentStatus).toBe('OptIn');
  });

  it('refuses a HubSpot webhook with a bad signature and stores nothing', async () => {
    const before = await db.query(`SELECT id FROM inbox WHERE provider = 'hubspot'`);
    const res = await gw.api(`/webhooks/hubspot`, {
      key: null,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': 'AAAA',
        'x-hubspot-request-timestamp': String(Date.now()),
      },
      body: '[]',
    });
    expect(res.status).toBe(401);
    expect(await db.query(`SELECT id FROM inbox WHERE provider = 'hubspot'`)).toHaveLength(before.length);
  });
});
