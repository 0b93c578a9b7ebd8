import { HubSpotSimulator } from '../../sandbox/hubspot';
import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

/**
 * The vendor registry as daily work needs it (issue 11): archiving a vendor no longer used (and the refusals
 * while it is still in use), what a sub-processor link records, and the vendors connections create: filled
 * in from what is known of the provider, or flagged incomplete.
 */
describe('the vendor registry for daily work', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  const hubspot = new HubSpotSimulator({ clientId: 'c', clientSecret: 's' });
  let processorUrl = '';
  let hubspotUrl = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    [processorUrl, hubspotUrl] = await Promise.all([processor.start(), hubspot.start()]);
    const port = await freePort();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, { PORT: String(port), OUTBOUND_ALLOWLIST: '127.0.0.1:*' }),
    });
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([processor.stop(), hubspot.stop()]);
    await db?.drop();
  });

  const post = (path: string, body: unknown, key?: string) =>
    gw.api(path, { method: 'POST', json: body, ...(key ? { key } : {}) });
  const patch = (path: string, body: unknown, key?: string) =>
    gw.api(path, { method: 'PATCH', json: body, ...(key ? { key } : {}) });

  async function vendor(body: Record<string, unknown>) {
    const res = await post('/v1/vendors', body);
    expect(res.status).toBe(201);
    return json(res);
  }

  async function webhookConnection(name: string, vendorId?: string) {
    const res = await post('/v1/connections', {
      type: 'webhook',
      name,
      ...(vendorId ? { vendor_id: vendorId } : {}),
      credentials: { url: `${processorUrl}/hooks` },
    });
    expect(res.status).toBe(201);
    return json(res);
  }

  /** A 4xx problem+json naming the field. */
  async function refused(res: Response, status: number, field: string): Promise<Problem> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = (await res.json()) as Problem;
    expect(problem.errors?.map((e) => e.field)).toContain(field);
    return problem;
  }

  const names = async (query = '') =>
    ((await json(await gw.api(`/v1/vendors${query}`))).vendors as { name: string }[]).map((v) => v.name);

  describe('archiving', () => {
    it('hides an archived vendor from the registry unless asked, and brings it back', async () => {
      const v = await vendor({ name: 'Old Mailer', role: 'processor', country: 'DE' });
      const archived = await json(await patch(`/v1/vendors/${v.id}`, { archived: true }));
      expect(archived.archived_at).toEqual(expect.any(String));

      expect(await names()).not.toContain('Old Mailer');
      expect(await names('?archived=only')).toEqual(['Old Mailer']);
      expect(await names('?archived=include')).toContain('Old Mailer');
      // The vendor itself stays readable: its history and deliveries still name it.
      expect((await gw.api(`/v1/vendors/${v.id}`)).status).toBe(200);

      const back = await json(await patch(`/v1/vendors/${v.id}`, { archived: false }));
      expect(back.archived_at).toBeNull();
      expect(await names()).toContain('Old Mailer');
    });

    it('refuses to archive a vendor with a live connection, saying why, and archives nothing', async () => {
      const v = await vendor({ name: 'Live Processor', role: 'processor', country: 'NL' });
      const connection = await webhookConnection('live hook', v.id);
      expect(connection.vendor_id).toBe(v.id);

      const problem = await refused(await patch(`/v1/vendors/${v.id}`, { archived: true }), 409, 'archived');
      expect(problem.detail).toBe(
        'Live Processor still has a live connection: disconnect it before archiving the vendor.',
      );
      expect((await json(await gw.api(`/v1/vendors/${v.id}`))).archived_at).toBeNull();

      // Once disconnected, nothing in use names it.
      expect((await gw.api(`/v1/connections/${connection.id}`, { method: 'DELETE' })).status).toBe(200);
      expect((await patch(`/v1/vendors/${v.id}`, { archived: true })).status).toBe(200);
    });

    it('refuses to archive a recipient of a processing activity in use, and lets a deprecated one go', async () => {
      const v = await vendor({ name: 'Recipient Co', role: 'processor', country: 'FR' });
      const activity = await json(
        await post('/v1/processing-activities', {
          name: 'Newsletter',
          purpose: 'Monthly newsletter',
          legal_basis: 'consent',
          recipients: [v.id],
        }),
      );
      const problem = await refused(await patch(`/v1/vendors/${v.id}`, { archived: true }), 409, 'archived');
      expect(problem.detail).toContain('“Newsletter”');

      await patch(`/v1/processing-activities/${activity.id}`, { status: 'deprecated' });
      expect((await patch(`/v1/vendors/${v.id}`, { archived: true })).status).toBe(200);

      // An archived vendor is not named anew: not as a recipient, not as a sub-processor.
      const other = await vendor({ name: 'Engager' });
      await refused(
        await post('/v1/processing-activities', {
          name: 'Another activity',
          purpose: 'p',
          legal_basis: 'consent',
          recipients: [v.id],
        }),
        400,
        'recipients',
      );
      expect((await json(await gw.api('/v1/processing-activities'))).processing_activities).toHaveLength(1);
      await refused(
        await post(`/v1/vendors/${other.id}/sub-processors`, { sub_processor_id: v.id }),
        400,
        'sub_processor_id',
      );
    });

    it('refuses a value that is not true or false, and a bad list filter, naming the field', async () => {
      const v = await vendor({ name: 'Strict' });
      await refused(await patch(`/v1/vendors/${v.id}`, { archived: 'yes' }), 400, 'archived');
      expect((await json(await gw.api(`/v1/vendors/${v.id}`))).archived_at).toBeNull();
      await refused(await gw.api('/v1/vendors?archived=sometimes'), 400, 'archived');
    });
  });

  describe('sub-processors', () => {
    it('records what a sub-processor does and when we were told, and edits or clears it', async () => {
      const crm = await vendor({ name: 'CRM Vendor', role: 'processor', country: 'IE' });
      const host = await vendor({ name: 'Cloud Host', role: 'sub_processor', country: 'US' });
      const added = await json(
        await post(`/v1/vendors/${crm.id}/sub-processors`, {
          sub_processor_id: host.id,
          service: 'Hosting',
          notified_at: '2026-01-10T09:00:00Z',
          objection_deadline: '2026-02-10',
        }),
      );
      expect(added.sub_processors).toEqual([
        expect.objectContaining({
          vendor_id: host.id,
          service: 'Hosting',
          objection_deadline: '2026-02-10',
          country: 'US',
        }),
      ]);

      const path = `/v1/vendors/${crm.id}/sub-processors/${host.id}`;
      const edited = await json(
        await patch(path, { service: 'Hosting and backups', objection_deadline: null }),
      );
      expect(edited).toMatchObject({
        vendor_id: host.id,
        service: 'Hosting and backups',
        objection_deadline: null,
      });
      expect(edited.notified_at).toBe('2026-01-10T09:00:00.000Z');
      expect(await json(await gw.api(path))).toEqual(edited);
    });

    it('refuses a bad date naming the field and changes nothing; answers 404 for a vendor it does not engage', async () => {
      const crm = await vendor({ name: 'Dated Vendor' });
      const host = await vendor({ name: 'Dated Host' });
      await post(`/v1/vendors/${crm.id}/sub-processors`, { sub_processor_id: host.id, service: 'Support' });
      const path = `/v1/vendors/${crm.id}/sub-processors/${host.id}`;

      await refused(
        await patch(path, { objection_deadline: '31/12/2026', service: 'x' }),
        400,
        'objection_deadline',
      );
      await refused(await patch(path, { notified_at: 'last week' }), 400, 'notified_at');
      await refused(await patch(path, { colour: 'red' }), 400, 'colour');
      expect(await json(await gw.api(path))).toMatchObject({ service: 'Support', objection_deadline: null });

      const stranger = await vendor({ name: 'Not Engaged' });
      const missing = await patch(`/v1/vendors/${crm.id}/sub-processors/${stranger.id}`, { service: 'x' });
      expect(missing.status).toBe(404);
    });

    it('asks registry:write to change a link, and a key at all to read one', async () => {
      const crm = await vendor({ name: 'Scoped Vendor' });
      const host = await vendor({ name: 'Scoped Host' });
      await post(`/v1/vendors/${crm.id}/sub-processors`, { sub_processor_id: host.id });
      const path = `/v1/vendors/${crm.id}/sub-processors/${host.id}`;
      const reader = await json(await post('/v1/api-keys', { name: 'reader', scopes: ['registry:read'] }));

      expect((await gw.api(path, { key: reader.key })).status).toBe(200);
      expect((await patch(path, { service: 'x' }, reader.key)).status).toBe(403);
      expect((await patch(`/v1/vendors/${crm.id}`, { archived: true }, reader.key)).status).toBe(403);
      expect((await gw.api(path, { key: null })).status).toBe(401);
      expect((await json(await gw.api(path))).service).toBeNull();
      expect((await json(await gw.api(`/v1/vendors/${crm.id}`))).archived_at).toBeNull();
    });
  });

  describe('vendors that connections create', () => {
    it('fills in role and country for HubSpot, from what is known of the provider', async () => {
      const res = await post('/v1/connections', {
        type: 'hubspot',
        name: 'HubSpot by token',
        base_url: hubspotUrl,
        credentials: { access_token: 'pat-na1-sandbox' },
      });
      expect(res.status).toBe(201);
      const connection = await json(res);
      const v = await json(await gw.api(`/v1/vendors/${connection.vendor_id}`));
      expect(v).toMatchObject({
        role: 'processor',
        country: 'US',
        legal_name: 'HubSpot, Inc.',
        missing_facts: [],
        dpa_status: 'none',
      });
    });

    it('flags a webhook processor’s vendor incomplete, on the vendor and under Needs attention, until filled in', async () => {
      const connection = await webhookConnection('Mystery Processor');
      const v = await json(await gw.api(`/v1/vendors/${connection.vendor_id}`));
      expect(v).toMatchObject({ name: 'Mystery Processor', role: null, country: null });
      expect(v.missing_facts).toEqual(['role', 'country']);

      const attention = async () => json(await gw.api('/v1/registry/attention'));
      expect((await attention()).vendors_missing_role_or_country).toContainEqual({
        vendor_id: v.id,
        vendor_name: 'Mystery Processor',
        missing: ['role', 'country'],
      });

      await patch(`/v1/vendors/${v.id}`, { role: 'processor', country: 'de' });
      const filled = await json(await gw.api(`/v1/vendors/${v.id}`));
      expect(filled).toMatchObject({ country: 'DE', missing_facts: [] });
      expect(
        ((await attention()).vendors_missing_role_or_country as { vendor_id: string }[]).map(
          (x) => x.vendor_id,
        ),
      ).not.toContain(v.id);
    });
  });
});
