import { HubSpotSimulator } from '../../sandbox/hubspot';
import { SANDBOX_CLIENT, sandboxEnv, signDpas } from '../support/sandbox';
import { textWebhook } from '../support/whatsapp';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';

const CLIENT = SANDBOX_CLIENT;
let wamids = 0;

/** A STOP typed on WhatsApp by the person with this number (WhatsApp reports it as digits only). */
const stopFrom = (e164: string, sentAtMs = Date.now()) =>
  textWebhook({
    wamid: `wamid.FOLLOW${++wamids}`,
    from: e164.slice(1),
    timestamp: Math.floor(sentAtMs / 1000),
  });

describe('the withdrawal follows the person into every CRM record, and CRM data cannot outrank it', () => {
  let db: TestDatabase;
  let gw: TestApp;
  // Search sees a contact at once here (polls and lookups work); the second portal's search index lags an hour,
  // so only a backfill's listing can find its contacts.
  const hubspot = new HubSpotSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  const lagging = new HubSpotSimulator({
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    searchLagMs: 3_600_000,
  });
  let hubspotUrl: string;
  let laggingUrl: string;
  let connectionId: string;

  const connect = async (name: string, baseUrl: string) => {
    const res = await gw.api('/v1/connections', {
      method: 'POST',
      json: { type: 'hubspot', name, base_url: baseUrl, credentials: { access_token: 'pat-na1-sandbox' } },
    });
    expect(res.status).toBe(201);
    const id = (await json(res)).id as string;
    await signDpas(gw, [id]);
    return id;
  };
  const backfillOf = async (id: string) =>
    (await json(await gw.api(`/v1/connections/${id}/backfill`))).backfill;
  const check = async (query: Record<string, string>) =>
    json(await gw.api(`/v1/consents/check?${new URLSearchParams(query).toString()}`));
  /** The person the ledger knows by this phone or email (GET /v1/consents names them). */
  const personOf = async (query: Record<string, string>) =>
    (await json(await gw.api(`/v1/consents?${new URLSearchParams(query).toString()}`))).subject_id as string;
  const consentOf = (sim: HubSpotSimulator, id: string) =>
    sim.portal().contacts.get(id)?.properties.wa_marketing_consent;

  beforeAll(async () => {
    db = await createTestDatabase();
    hubspotUrl = await hubspot.start();
    laggingUrl = await lagging.start();
    const port = await freePort();
    const config = testConfig(
      db.url,
      sandboxEnv(port, {
        CRM_POLL_INTERVAL_SECONDS: '1',
        DEFAULT_PHONE_REGION: 'DE',
        RETRY_BASE_DELAY_MS: '50',
      }),
    );
    gw = await startTestApp({ databaseUrl: db.url, config });
    connectionId = await connect('HubSpot', hubspotUrl);
    await eventually(async () => (await backfillOf(connectionId))?.status === 'completed', 30_000);
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([hubspot.stop(), lagging.stop()]);
    await db?.drop();
  });

  it('pushes a STOP to a contact created in the CRM afterwards, typed in national form, within a polling period', async () => {
    const e164 = '+4915223344556';
    expect((await gw.postWebhook(stopFrom(e164))).status).toBe(200);
    await eventually(async () => (await check({ phone: e164 })).allowed === false);

    // Imported from a spreadsheet a week later: the number as a German office typed it, no country on the record.
    const { firstId } = hubspot.seedContacts({
      contacts: [{ firstname: 'Lena', mobilephone: '0152 23344556' }],
    });
    await eventually(async () => consentOf(hubspot, firstId!) === 'OPTED_OUT', 30_000);
  });

  it('never lets a grant dated in the future outrank a later STOP, and an unreadable timestamp does not stall the backfill', async () => {
    const e164 = '+4915334455667';
    const seededAt = Date.now();
    const seeded = hubspot.seedContacts({
      contacts: [
        {
          firstname: 'Future',
          phone: '+49 1533 4455667',
          wa_marketing_consent: 'OPTED_IN',
          wa_consent_updated_at: '4102444800000', // 2100-01-01
        },
        { firstname: 'Garbled', phone: '+49 1533 4455668', wa_consent_updated_at: '99999999999999999' },
        { firstname: 'After', phone: '+49 1533 4455669', wa_marketing_consent: 'OPTED_OUT' },
      ],
    });
    const run = await json(await gw.api(`/v1/connections/${connectionId}/backfill`, { method: 'POST' }));
    const done = await eventually(async () => {
      const p = await backfillOf(connectionId);
      return p?.id === run.id && p.status === 'completed' ? p : null;
    }, 30_000);
    expect(done.last_error).toBeNull();
    // The record after the unreadable one was imported.
    expect(await check({ phone: '+4915334455669' })).toMatchObject({ allowed: false });
    expect(await check({ phone: e164 })).toMatchObject({ allowed: true });

    // The grant was clamped to when HubSpot last modified the record (milliseconds); WhatsApp stamps the STOP
    // to the second. Stamped with that same second, the STOP may have been typed before or after: it stands.
    expect((await gw.postWebhook(stopFrom(e164, seededAt))).status).toBe(200);
    await eventually(async () => (await check({ phone: e164 })).allowed === false);
    // …and the STOP reaches the record that claimed a grant in 2100.
    await eventually(async () => consentOf(hubspot, seeded.firstId!) === 'OPTED_OUT', 30_000);

    const unmatched = await json(await gw.api(`/v1/connections/${connectionId}/unmatched`));
    expect(unmatched.records).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'wa_consent_updated_at' })]),
    );
  });

  it('joins an email-only person from the API and a phone-only person from WhatsApp through one CRM record', async () => {
    const email = 'jonas.weber@example.com';
    const e164 = '+4915445566778';
    const granted = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: 'web-form-jonas',
        email,
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        captured_at: new Date(Date.now() - 86_400_000).toISOString(),
      },
    });
    expect(granted.status).toBe(200);
    expect((await gw.postWebhook(stopFrom(e164))).status).toBe(200);
    await eventually(async () => (await check({ phone: e164 })).allowed === false);
    expect(await personOf({ email })).not.toBe(await personOf({ phone: e164 }));

    hubspot.seedContacts({ contacts: [{ firstname: 'Jonas', email, phone: '+49 (0)1544 5566778' }] });
    await eventually(async () => (await check({ email })).allowed === false, 30_000);
    const person = await personOf({ phone: e164 });
    expect(await personOf({ email })).toBe(person);
    const timeline = await json(await gw.api(`/v1/subjects/${person}/timeline`));
    expect(timeline.events.map((e: { source: string }) => e.source).sort()).toEqual(['api', 'whatsapp']);
  });

  it('holds a STOP for a person the vendor cannot find yet while a backfill runs, and delivers it to the record the backfill links', async () => {
    const e164 = '+4915556677889';
    lagging.setLatency(150);
    lagging.seedContacts({ count: 450, whatsapp: true });
    const { firstId } = lagging.seedContacts({
      contacts: [{ firstname: 'Last page', phone: '+49 1555 6677889' }],
    });
    const id = await connect('HubSpot (lagging search)', laggingUrl);
    expect((await backfillOf(id))?.status).toBe('running');

    expect((await gw.postWebhook(stopFrom(e164))).status).toBe(200);
    await eventually(async () => consentOf(lagging, firstId!) === 'OPTED_OUT', 60_000);
    // One delivery to that connection (the STOP's), succeeded: never skipped as not found.
    const deliveries = await eventually(async () => {
      const all = (await json(await gw.api(`/v1/deliveries?connection_id=${id}`))).deliveries as {
        status: string;
      }[];
      return all.every((d) => d.status === 'succeeded') ? all : null;
    });
    expect(deliveries).toEqual([expect.objectContaining({ status: 'succeeded', reason: null })]);
  });
});
