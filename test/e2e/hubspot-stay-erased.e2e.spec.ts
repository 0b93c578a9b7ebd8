import { HubSpotSimulator } from '../../sandbox/hubspot';
import { SANDBOX_CLIENT, sandboxEnv, signDpas } from '../support/sandbox';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';

/**
 * An erasure at HubSpot through the whole gateway (request → delivery → HubspotConnector.erase → GDPR delete), then
 * the same person re-created in HubSpot: the poll brings the record back, nobody is re-imported, and the erasure is
 * sent to the new record within a polling period.
 */
describe('a person erased at HubSpot stays erased', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const hubspot = new HubSpotSimulator({ clientId: SANDBOX_CLIENT.id, clientSecret: SANDBOX_CLIENT.secret });
  let connectionId: string;
  let hubspotUrl: string;
  let erika: string;
  let max: string;
  const E164 = '+4915129876543';

  const check = async (phone: string) =>
    json(await gw.api(`/v1/consents/check?${new URLSearchParams({ phone }).toString()}`));

  beforeAll(async () => {
    db = await createTestDatabase();
    hubspotUrl = await hubspot.start();
    const port = await freePort();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(
        db.url,
        sandboxEnv(port, {
          CRM_POLL_INTERVAL_SECONDS: '1',
          DEFAULT_PHONE_REGION: 'DE',
          RETRY_BASE_DELAY_MS: '50',
        }),
      ),
    });
    const { firstId } = hubspot.seedContacts({
      contacts: [
        { firstname: 'Erika', phone: '+49 1512 9876543', email: 'erika@example.com' },
        { firstname: 'Max', phone: '+49 1512 0000777', email: 'max@example.com' },
      ],
    });
    erika = firstId!;
    max = String(Number(firstId) + 1);
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
    connectionId = (await json(res)).id as string;
    await signDpas(gw, [connectionId]);
    await eventually(
      async () =>
        (await json(await gw.api(`/v1/connections/${connectionId}/backfill`))).backfill?.status ===
        'completed',
      30_000,
    );
  });

  afterAll(async () => {
    await gw?.close();
    await hubspot.stop();
    await db?.drop();
  });

  it('GDPR-deletes the contact, completes the request, then erases the contact re-created with the same number', async () => {
    const original = erika;
    const created = await gw.api('/v1/requests', {
      method: 'POST',
      json: { type: 'erasure', phone: E164, verification: { method: 'id_document', note: 'passport seen' } },
    });
    expect(created.status).toBe(201);
    const requestId = (await json(created)).id as string;

    await eventually(async () => hubspot.portal().gdprDeletedIds.has(original), 30_000);
    await eventually(
      async () => (await json(await gw.api(`/v1/requests/${requestId}`))).status === 'completed',
      30_000,
    );
    expect(await check(E164)).toMatchObject({ allowed: false, reason: 'erased' });

    // HubSpot refuses the blocklisted email; someone re-creates the person by their number alone.
    const { firstId: again } = hubspot.seedContacts({
      contacts: [{ firstname: 'Erika', mobilephone: '01512 9876543' }],
    });
    await eventually(async () => hubspot.portal().gdprDeletedIds.has(again!), 30_000);
    expect(await check(E164)).toMatchObject({ allowed: false, reason: 'erased' });
  });
  it('erases the person when someone GDPR-deletes their contact in HubSpot (contact.privacyDeletion)', async () => {
    hubspot.takeWebhookEvents(); // the echoes of the gateway's own deletes above are not this test's subject
    const deleted = await fetch(`${hubspotUrl}/crm/v3/objects/contacts/gdpr-delete`, {
      method: 'POST',
      headers: { authorization: 'Bearer pat-na1-sandbox', 'content-type': 'application/json' },
      body: JSON.stringify({ objectId: max }),
    });
    expect(deleted.status).toBe(204);
    const delivered = await hubspot.flushWebhooks(`${gw.baseUrl}/webhooks/hubspot`, SANDBOX_CLIENT.secret);
    expect(delivered.every((d) => d.status === 200)).toBe(true);

    const request = await eventually(async () => {
      const list = await json(await gw.api('/v1/requests?type=erasure'));
      return (list.items as { id: string; origin: string; status: string }[]).find(
        (r) => r.origin === 'hubspot_privacy_deletion' && r.status === 'completed',
      );
    }, 30_000);
    expect(request).toBeDefined();
    expect(await check('+4915120000777')).toMatchObject({ allowed: false, reason: 'erased' });
  });
});
