import { createValidDpa } from '../../support/registry';
import { HubSpotSimulator } from '../../../sandbox/hubspot';
import { WebhookProcessorSimulator } from '../../../sandbox/webhook-processor';
import { UserService } from '../../../src/modules/auth/user.service';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../../support/app';
import { bindingCookieOf, SANDBOX_CLIENT, sandboxEnv } from '../../support/sandbox';

const PASSWORD = 'correct horse battery staple';

interface Delivery {
  id: string;
  connection_id: string;
  status: string;
  reason: string | null;
}

/**
 * Issue 10, attacks on connections: a crm_admin borrowing a DPA'd vendor (by name, by id) to receive personal
 * data, and an OAuth state used as a bearer token (replayed, or completed by someone else). Each attack is
 * performed and shown to fail.
 */
describe('security: connections', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let hubspotUrl = '';
  let processorUrl = '';
  let thiefUrl = '';
  const hubspot = new HubSpotSimulator({ clientId: SANDBOX_CLIENT.id, clientSecret: SANDBOX_CLIENT.secret });
  /** The processor the business has a DPA with. */
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  /** Where a crm_admin would like the people's data to go. */
  const thief = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  let trustedVendor = '';
  let sequence = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    [hubspotUrl, processorUrl, thiefUrl] = await Promise.all([
      hubspot.start(),
      processor.start(),
      thief.start(),
    ]);
    const port = await freePort();
    gw = await startTestApp({ databaseUrl: db.url, config: testConfig(db.url, sandboxEnv(port)) });
    const users = gw.app.get(UserService);
    for (const email of ['crm@example.com', 'crm2@example.com'])
      await users.create({ email, name: email, role: 'crm_admin', password: PASSWORD });

    // The registry (an admin holding registry:write): a vendor under a signed DPA, and its webhook.
    const vendor = await gw.api('/v1/vendors', { method: 'POST', json: { name: 'Trusted Mailer' } });
    trustedVendor = (await json(vendor)).id;
    expect((await createValidDpa(gw, trustedVendor)).valid).toBe(true);
    const legit = await gw.api('/v1/connections', {
      method: 'POST',
      json: {
        type: 'webhook',
        name: 'Trusted Mailer',
        vendor_id: trustedVendor,
        credentials: { url: `${processorUrl}/hooks` },
      },
    });
    expect(legit.status).toBe(201);
    processor.useSecret((await json(legit)).signing_secret);
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([hubspot.stop(), processor.stop(), thief.stop()]);
    await db?.drop();
  });

  /** A signed-in console user: the session cookie and the CSRF token. */
  async function signIn(email: string) {
    const res = await gw.api('/console/api/session', {
      key: null,
      method: 'POST',
      json: { email, password: PASSWORD },
    });
    expect(res.status).toBe(200);
    return {
      cookie: res.headers.get('set-cookie')!.split(';')[0],
      csrf: (await json(res)).csrf_token as string,
    };
  }

  const asUser = (
    user: { cookie: string; csrf: string },
    path: string,
    init: RequestInit & { json?: unknown } = {},
  ) => gw.api(path, { ...init, key: null, headers: { cookie: user.cookie, 'x-csrf-token': user.csrf } });

  const connectionCount = async () =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM connection`))[0].n);

  describe('the DPA gate cannot be borrowed', () => {
    let stolen = '';

    it("gives a crm_admin's webhook named like a DPA'd vendor a vendor record of its own, without a DPA", async () => {
      const crm = await signIn('crm@example.com');
      const res = await asUser(crm, '/v1/connections', {
        method: 'POST',
        json: { type: 'webhook', name: 'Trusted Mailer', credentials: { url: `${thiefUrl}/hooks` } },
      });
      expect(res.status).toBe(201);
      const connection = await json(res);
      thief.useSecret(connection.signing_secret);
      stolen = connection.id;
      expect(connection.vendor_id).not.toBe(trustedVendor);
      expect(connection.vendor_name).not.toBe('Trusted Mailer');
      const own = await json(await gw.api(`/v1/vendors/${connection.vendor_id}`));
      expect(own).toMatchObject({ dpa_valid: false });
    });

    it('refuses a crm_admin naming the vendor by id with 403 naming vendor_id, and stores nothing', async () => {
      const crm = await signIn('crm@example.com');
      const before = await connectionCount();
      const res = await asUser(crm, '/v1/connections', {
        method: 'POST',
        json: {
          type: 'webhook',
          name: 'Borrowed',
          vendor_id: trustedVendor,
          credentials: { url: `${thiefUrl}/hooks` },
        },
      });
      expect(res.status).toBe(403);
      expect((await json(res)).errors[0].field).toBe('vendor_id');
      expect(await connectionCount()).toBe(before);

      const oauth = await asUser(
        crm,
        `/v1/connections/oauth/hubspot/authorize?name=HubSpot&vendor_id=${trustedVendor}&base_url=${encodeURIComponent(hubspotUrl)}`,
        { redirect: 'manual' },
      );
      expect(oauth.status).toBe(403);
      expect((await json(oauth)).errors[0].field).toBe('vendor_id');
    });

    it('holds a grant with phone and email from the borrowed connection, while the DPA vendor receives it', async () => {
      const phone = `+1631555${String(7000 + ++sequence)}`;
      const granted = await gw.api('/v1/consent-events', {
        method: 'POST',
        json: {
          event_id: `borrow-${sequence}`,
          phone,
          email: `person${sequence}@example.com`,
          purpose: 'marketing',
          channel: 'whatsapp',
          status: 'granted',
          captured_at: new Date().toISOString(),
        },
      });
      expect(granted.status).toBe(200);
      const subjectId = (await json(granted)).subject_id;
      const deliveries = await eventually(async () => {
        const rows = await db.query<Delivery>(
          `SELECT id, connection_id, status, reason FROM delivery WHERE subject_id = $1`,
          [subjectId],
        );
        return rows.length === 2 && rows.every((r) => ['succeeded', 'skipped', 'dead'].includes(r.status))
          ? rows
          : null;
      }, 20_000);
      expect(deliveries.find((d) => d.connection_id === stolen)).toMatchObject({
        status: 'skipped',
        reason: 'dpa_missing',
      });
      expect(deliveries.find((d) => d.connection_id !== stolen)).toMatchObject({ status: 'succeeded' });
      expect(thief.received.filter((r) => r.rawBody.includes(phone.slice(1)))).toHaveLength(0);
      expect(processor.received.filter((r) => r.rawBody.includes(phone.slice(1)))).toHaveLength(1);
    });

    it('gives even a registry:write holder a vendor of its own when the connection does not belong to the vendor', async () => {
      const site = await json(
        await gw.api('/v1/vendors', {
          method: 'POST',
          json: { name: 'Mailer with a website', website: 'https://mailer.example' },
        }),
      );
      const res = await gw.api('/v1/connections', {
        method: 'POST',
        json: {
          type: 'webhook',
          name: 'elsewhere',
          vendor_id: site.id,
          credentials: { url: `${thiefUrl}/hooks` },
        },
      });
      expect(res.status).toBe(201);
      expect((await json(res)).vendor_id).not.toBe(site.id);

      const hubspotToWebhookVendor = await gw.api('/v1/connections', {
        method: 'POST',
        json: {
          type: 'hubspot',
          name: 'HubSpot into the mailer',
          vendor_id: trustedVendor,
          base_url: hubspotUrl,
          credentials: { access_token: 'pat-na1-borrowed-token' },
        },
      });
      expect(hubspotToWebhookVendor.status).toBe(201);
      expect((await json(hubspotToWebhookVendor)).vendor_id).not.toBe(trustedVendor);
    });

    it("attaches a registry:write holder's connection that does belong: same type, a host the vendor sends to", async () => {
      const res = await gw.api('/v1/connections', {
        method: 'POST',
        json: {
          type: 'webhook',
          name: 'Trusted Mailer, second list',
          vendor_id: trustedVendor,
          credentials: { url: `${processorUrl}/hooks-2` },
        },
      });
      expect(res.status).toBe(201);
      expect((await json(res)).vendor_id).toBe(trustedVendor);
    });
  });

  describe('an OAuth state is single-use and bound to whoever started the flow', () => {
    /**
     * Starts a HubSpot OAuth flow with `start` (the bootstrap key by default). Every test connects the same portal
     * again, so the flows confirm the duplicate (allow_duplicate): what is tested here is the state, not that.
     */
    async function authorize(
      start: (path: string) => Promise<Response> = (path) => gw.api(path, { redirect: 'manual' }),
    ) {
      const res = await start(
        `/v1/connections/oauth/hubspot/authorize?name=OAuth%20attack&allow_duplicate=true&base_url=${encodeURIComponent(hubspotUrl)}`,
      );
      expect(res.status).toBe(302);
      return { location: res.headers.get('location')!, cookie: bindingCookieOf(res) };
    }

    /** The vendor's redirect back to the gateway after approval: a fresh code with the flow's state. */
    async function approve(location: string): Promise<string> {
      const consent = await fetch(location, { redirect: 'manual' });
      expect(consent.status).toBe(302);
      const back = new URL(consent.headers.get('location')!);
      return back.pathname + back.search;
    }

    const callback = (path: string, headers: Record<string, string> = {}) =>
      gw.api(path, { key: null, headers, redirect: 'manual' });

    const stateOf = (path: string) => new URL(path, 'http://x').searchParams.get('state');

    it('refuses a replayed state (a second approval, a new code) and creates one connection', async () => {
      const flow = await authorize();
      const [first, second] = [await approve(flow.location), await approve(flow.location)];
      expect(stateOf(first)).toBe(stateOf(second));
      const before = await connectionCount();

      expect((await callback(first, { cookie: flow.cookie })).status).toBe(201);
      const replay = await callback(second, { cookie: flow.cookie });
      expect(replay.status).toBe(400);
      expect((await json(replay)).errors[0].field).toBe('state');
      expect(await connectionCount()).toBe(before + 1);
    });

    it('lets only one of two racing callbacks with one state connect', async () => {
      const flow = await authorize();
      const [a, b] = [await approve(flow.location), await approve(flow.location)];
      const before = await connectionCount();
      const statuses = (
        await Promise.all([callback(a, { cookie: flow.cookie }), callback(b, { cookie: flow.cookie })])
      ).map((r) => r.status);
      expect(statuses.sort()).toEqual([201, 400]);
      expect(await connectionCount()).toBe(before + 1);
    });

    it("refuses a console session's state completed by another session, or by no session", async () => {
      const [owner, other] = [await signIn('crm@example.com'), await signIn('crm2@example.com')];
      const flow = await authorize((path) => asUser(owner, path, { redirect: 'manual' }));
      const back = await approve(flow.location);
      const before = await connectionCount();

      for (const cookie of [other.cookie, flow.cookie, `${other.cookie}; ${flow.cookie}`]) {
        const res = await callback(back, { cookie });
        expect(res.status).toBe(400);
        expect((await json(res)).errors[0].field).toBe('state');
      }
      expect(await connectionCount()).toBe(before);

      const own = await callback(back, { cookie: `${owner.cookie}; ${flow.cookie}` });
      expect(own.status).toBe(302);
      expect(await connectionCount()).toBe(before + 1);
    });

    it("refuses an API client's state completed without its binding cookie or key, or with another key", async () => {
      const flow = await authorize();
      const back = await approve(flow.location);
      const other = await json(
        await gw.api('/v1/api-keys', {
          method: 'POST',
          json: { name: 'other', scopes: ['connections:admin'] },
        }),
      );
      const before = await connectionCount();
      const attempts: Record<string, string>[] = [
        {},
        { authorization: `Bearer ${other.key}` },
        { cookie: 'cg_oauth_binding=guessed' },
      ];
      for (const headers of attempts) {
        const res = await callback(back, headers);
        expect(res.status).toBe(400);
        expect((await json(res)).errors[0].field).toBe('state');
      }
      expect(await connectionCount()).toBe(before);
      // The client that started it may present its key instead of the cookie.
      expect((await gw.api(back, { redirect: 'manual' })).status).toBe(201);
      expect(await connectionCount()).toBe(before + 1);
    });

    it('refuses a flow started with a key that was revoked before the callback, even with its binding cookie', async () => {
      const created = await json(
        await gw.api('/v1/api-keys', {
          method: 'POST',
          json: { name: 'short-lived', scopes: ['connections:admin'] },
        }),
      );
      const flow = await authorize((path) =>
        gw.api(path, { redirect: 'manual', key: created.key as string }),
      );
      const back = await approve(flow.location);
      expect((await gw.api(`/v1/api-keys/${created.id}`, { method: 'DELETE' })).status).toBeLessThan(300);
      const before = await connectionCount();

      const res = await callback(back, { cookie: flow.cookie });
      expect(res.status).toBe(400);
      expect((await json(res)).errors[0]).toEqual({
        field: 'state',
        message: expect.stringContaining('revoked'),
      });
      expect(await connectionCount()).toBe(before);
    });
  });
});
