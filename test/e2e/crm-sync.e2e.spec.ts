import { Connection } from 'jsforce';
import { ChangePollService } from '../../src/modules/connectors/change-poll.service';
import { HubSpotSimulator } from '../../sandbox/hubspot';
import { SalesforceSimulator } from '../../sandbox/salesforce';
import { bindingCookieOf, connectByOAuth, SANDBOX_CLIENT, sandboxEnv } from '../support/sandbox';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';

const CLIENT = SANDBOX_CLIENT;

describe('consent kept in the CRMs comes into the ledger', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const hubspot = new HubSpotSimulator({
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    rateLimit: { max: 1000, windowMs: 1000 },
  });
  const salesforce = new SalesforceSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  let hubspotUrl: string;
  let salesforceUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    [hubspotUrl, salesforceUrl] = await Promise.all([hubspot.start(), salesforce.start()]);
    const port = await freePort();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, sandboxEnv(port)),
    });
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([hubspot.stop(), salesforce.stop()]);
    await db?.drop();
  });

  describe('HubSpot backfill', () => {
    let connectionId: string;

    const progress = async () =>
      (await json(await gw.api(`/v1/connections/${connectionId}/backfill`))).backfill;

    beforeAll(async () => {
      const res = await gw.api('/v1/connections', {
        method: 'POST',
        json: {
          type: 'hubspot',
          name: 'HubSpot',
          base_url: hubspotUrl,
          credentials: { access_token: 'pat-na1-sandbox' },
        },
      });
      expect(res.status).toBe(201);
      connectionId = (await json(res)).id;
      // The run started on connect finds an empty portal.
      await eventually(async () => (await progress())?.status === 'completed');
    });

    it('imports every existing contact, paged and resumable, with progress readable from the API', async () => {
      const at = '2026-06-01T10:00:00.000Z';
      const contacts = Array.from({ length: 250 }, (_, i) => ({
        firstname: `C${i}`,
        phone: `+4915112${String(100000 + i)}`,
        ...(i < 100 ? { wa_marketing_consent: 'OPTED_OUT', wa_consent_updated_at: at } : {}),
        ...(i >= 100 && i < 150 ? { wa_marketing_consent: 'OPTED_IN', wa_consent_updated_at: at } : {}),
      }));
      hubspot.seedContacts({ contacts });
      // One page fails once: the run resumes from its saved cursor rather than starting again.
      hubspot.injectFault({ kind: '500', count: 1, path: 'after=' });

      const started = await gw.api(`/v1/connections/${connectionId}/backfill`, { method: 'POST' });
      expect(started.status).toBe(202);
      const run = await eventually(async () => {
        const p = await progress();
        return p?.status === 'completed' && p.id === (await json(started)).id ? p : null;
      }, 60_000);
      expect(run).toMatchObject({ contacts_seen: 250, events_recorded: 150, pages: 3 });

      const [counts] = await db.query<{ withdrawn: string; granted: string }>(
        `SELECT count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn, count(*) FILTER (WHERE status = 'granted') AS granted
           FROM consent_event WHERE source = 'hubspot'`,
      );
      expect({ withdrawn: Number(counts.withdrawn), granted: Number(counts.granted) }).toEqual({
        withdrawn: 100,
        granted: 50,
      });
      const check = await json(
        await gw.api(`/v1/consents/check?phone=${encodeURIComponent(contacts[0].phone)}`),
      );
      expect(check).toMatchObject({ allowed: false, status: 'withdrawn' });
    });

    it('records nothing twice when the backfill runs again', async () => {
      const before = await db.query(`SELECT id FROM consent_event WHERE source = 'hubspot'`);
      const again = await json(await gw.api(`/v1/connections/${connectionId}/backfill`, { method: 'POST' }));
      const run = await eventually(async () => {
        const p = await progress();
        return p?.id === again.id && p.status === 'completed' ? p : null;
      }, 60_000);
      expect(run.events_recorded).toBe(0);
      expect(await db.query(`SELECT id FROM consent_event WHERE source = 'hubspot'`)).toHaveLength(
        before.length,
      );
    });
  });

  describe('the OAuth callback', () => {
    it('answers 400 naming the code when the vendor refuses it, and connects nothing', async () => {
      const before = (await json(await gw.api('/v1/connections'))).connections.length;
      const authorize = await gw.api(
        `/v1/connections/oauth/salesforce/authorize?name=SF&base_url=${encodeURIComponent(salesforceUrl)}`,
        { redirect: 'manual' },
      );
      const state = new URL(authorize.headers.get('location')!).searchParams.get('state')!;
      const res = await gw.api(
        `/v1/connections/oauth/salesforce/callback?code=forged-code&state=${encodeURIComponent(state)}`,
        { key: null, headers: { cookie: bindingCookieOf(authorize) } },
      );
      expect(res.status).toBe(400);
      expect((await json(res)).errors[0].field).toBe('code');
      expect((await json(await gw.api('/v1/connections'))).connections).toHaveLength(before);
    });

    it('answers 400 naming the state when it was not signed by the gateway', async () => {
      const res = await gw.api(`/v1/connections/oauth/salesforce/callback?code=x&state=forged.state`, {
        key: null,
      });
      expect(res.status).toBe(400);
      expect((await json(res)).errors[0].field).toBe('state');
    });
  });

  describe('Salesforce polling', () => {
    it('turns a consent edit made in Salesforce into a salesforce event, and skips the gateway’s own writes', async () => {
      const phone = '+16505550177';
      salesforce.seed({ contacts: [{ LastName: 'Hopper', MobilePhone: phone }] });
      const connection = { id: await connectByOAuth(gw.api, 'salesforce', salesforceUrl, 'SF') };
      const sync = gw.app.get(ChangePollService);
      expect(await sync.poll(connection.id)).toBe(0); // the first poll sets the cursor

      // The gateway pushes a withdrawal; polling sees its own write and records nothing.
      const withdrawal = await gw.api('/v1/consent-events', {
        method: 'POST',
        json: {
          event_id: 'sf-1',
          phone,
          purpose: 'marketing',
          channel: 'whatsapp',
          status: 'withdrawn',
          captured_at: '2026-06-01T10:00:00Z',
        },
      });
      const subjectId = (await json(withdrawal)).subject_id;
      await eventually(async () => {
        const d = (
          await json(await gw.api(`/v1/deliveries?subject_id=${subjectId}&connection_id=${connection.id}`))
        ).deliveries;
        return d.length === 1 && d[0].status === 'succeeded';
      });
      expect(await sync.poll(connection.id)).toBe(0);

      // A Salesforce user opts the person back in.
      const record = [...salesforce.state.records.ContactPointTypeConsent.values()][0];
      const token = [...salesforce.state.accessTokens.keys()].at(-1)!;
      const crm = new Connection({ instanceUrl: salesforceUrl, accessToken: token, version: '62.0' });
      await crm.sobject('ContactPointTypeConsent').update({
        Id: record.Id,
        PrivacyConsentStatus: 'OptIn',
        EffectiveFrom: '2026-06-02T09:00:00.000Z',
        CaptureSource: 'Salesforce UI',
      });
      expect(await sync.poll(connection.id)).toBe(1);
      const [event] = await db.query<{ status: string; source: string; subject_id: string }>(
        `SELECT status, source, subject_id FROM consent_event WHERE source = 'salesforce'`,
      );
      expect(event).toEqual({ status: 'granted', source: 'salesforce', subject_id: subjectId });
      expect(await sync.poll(connection.id)).toBe(0);
    });
  });
});
