import { HubSpotSimulator } from '../../sandbox/hubspot';
import { SalesforceSimulator } from '../../sandbox/salesforce';
import { bindingCookieOf, sandboxEnv } from '../support/sandbox';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';
import { textWebhook } from '../support/whatsapp';

/**
 * What a CRM admin does with connections through the API (issue 11): which OAuth flows the gateway can offer, a
 * second connection of one HubSpot portal refused unless confirmed, the mapping refusing settings it does not
 * know, the import run again with a total to measure progress against, a webhook processor's endpoint shown, and
 * the overview judging a connection by what became of its deliveries.
 */
describe('connections for CRM admins', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const portal = new HubSpotSimulator();
  const emptyPortal = new HubSpotSimulator();
  let portalUrl: string;
  let emptyPortalUrl: string;

  const connectByToken = (name: string, baseUrl: string, extra: Record<string, unknown> = {}) =>
    gw.api('/v1/connections', {
      method: 'POST',
      json: {
        type: 'hubspot',
        name,
        base_url: baseUrl,
        credentials: { access_token: 'pat-na1-sandbox' },
        ...extra,
      },
    });
  const connectionNames = async () =>
    ((await json(await gw.api('/v1/connections'))).connections as { name: string }[]).map((c) => c.name);

  beforeAll(async () => {
    db = await createTestDatabase();
    [portalUrl, emptyPortalUrl] = await Promise.all([portal.start(), emptyPortal.start()]);
    const port = await freePort();
    // HubSpot's OAuth app is configured, Salesforce's is not.
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(
        db.url,
        sandboxEnv(port, { SALESFORCE_CLIENT_ID: '', SALESFORCE_CLIENT_SECRET: '' }),
      ),
    });
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([portal.stop(), emptyPortal.stop()]);
    await db?.drop();
  });

  it('says which OAuth flows it can offer, and what is missing for the others', async () => {
    const res = await gw.api('/v1/connections/oauth/providers');
    expect(res.status).toBe(200);
    expect((await json(res)).providers).toEqual([
      {
        type: 'hubspot',
        configured: true,
        missing: [],
        redirect_uri: expect.stringMatching(/\/v1\/connections\/oauth\/hubspot\/callback$/),
      },
      {
        type: 'salesforce',
        configured: false,
        missing: ['SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET'],
        redirect_uri: expect.stringMatching(/\/v1\/connections\/oauth\/salesforce\/callback$/),
      },
    ]);
  });

  describe('one HubSpot portal, one connection', () => {
    let firstId: string;

    beforeAll(async () => {
      const first = await connectByToken('Sales portal', portalUrl);
      expect(first.status).toBe(201);
      const body = await json(first);
      firstId = body.id;
      // A private-app token names no portal: the gateway asked HubSpot's account details before storing it.
      expect(body.external_account_id).toBe(String(portal.portal().portalId));
    });

    it('refuses a second token connection of the same portal with a 409 naming the first, storing nothing', async () => {
      const before = await connectionNames();
      const second = await connectByToken('Sales portal again', portalUrl);
      expect(second.status).toBe(409);
      expect(second.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const problem = await json(second);
      expect(problem).toMatchObject({
        code: 'connection_duplicate',
        errors: [{ field: 'allow_duplicate', message: expect.any(String) }],
      });
      expect(problem.detail).toContain(`HubSpot portal ${portal.portal().portalId}`);
      expect(problem.detail).toContain('"Sales portal"');
      expect(problem.detail).toContain(firstId);
      expect(await connectionNames()).toEqual(before);
    });

    it('connects it a second time when the request confirms it', async () => {
      const confirmed = await connectByToken('Sales portal, on purpose', portalUrl, {
        allow_duplicate: true,
      });
      expect(confirmed.status).toBe(201);
      const body = await json(confirmed);
      expect(body.external_account_id).toBe(String(portal.portal().portalId));
      // Disconnected again, so that the tests below see one live connection of the portal.
      expect((await gw.api(`/v1/connections/${body.id}`, { method: 'DELETE' })).status).toBe(200);
    });

    it('refuses the same portal through OAuth too, unless the flow was started with allow_duplicate', async () => {
      const attempt = async (allowDuplicate: boolean) => {
        const authorize = await gw.api(
          `/v1/connections/oauth/hubspot/authorize?name=Via+OAuth&base_url=${encodeURIComponent(portalUrl)}${allowDuplicate ? '&allow_duplicate=true' : ''}`,
          { redirect: 'manual' },
        );
        expect(authorize.status).toBe(302);
        const consent = await fetch(authorize.headers.get('location')!, { redirect: 'manual' });
        const back = new URL(consent.headers.get('location')!);
        return gw.api(back.pathname + back.search, {
          key: null,
          headers: { cookie: bindingCookieOf(authorize) },
        });
      };
      const refused = await attempt(false);
      expect(refused.status).toBe(409);
      expect(await json(refused)).toMatchObject({ code: 'connection_duplicate' });
      expect(await connectionNames()).not.toContain('Via OAuth');

      const confirmed = await attempt(true);
      expect(confirmed.status).toBe(201);
      expect(await connectionNames()).toContain('Via OAuth');
    });

    it('connects a disconnected portal again without asking', async () => {
      const other = new HubSpotSimulator({ portalId: 7_700_001 });
      const url = await other.start();
      try {
        const first = await json(await connectByToken('Short-lived', url));
        await gw.api(`/v1/connections/${first.id}`, { method: 'DELETE' });
        expect((await connectByToken('Back again', url)).status).toBe(201);
      } finally {
        await other.stop();
      }
    });

    it('refuses a mapping setting the provider does not know, naming it, and keeps the mapping', async () => {
      const before = (await json(await gw.api(`/v1/connections/${firstId}`))).mapping;
      const res = await gw.api(`/v1/connections/${firstId}`, {
        method: 'PATCH',
        json: { mapping: { phoneProperties: ['phone'], phoneProprties: ['mobilephone'] } },
      });
      expect(res.status).toBe(400);
      expect(await json(res)).toMatchObject({
        code: 'connection_invalid',
        errors: [{ field: 'mapping.phoneProprties', message: expect.stringContaining('phoneProperties') }],
      });
      expect((await json(await gw.api(`/v1/connections/${firstId}`))).mapping).toEqual(before);

      const known = await gw.api(`/v1/connections/${firstId}`, {
        method: 'PATCH',
        json: { mapping: { phoneProperties: ['phone'] } },
      });
      expect(known.status).toBe(200);
      expect((await json(known)).mapping).toMatchObject({ ...before, phoneProperties: ['phone'] });
    });

    it('runs the import again and reports how many contacts it expects to read', async () => {
      portal.seedContacts({
        contacts: Array.from({ length: 120 }, (_, i) => ({
          firstname: `P${i}`,
          phone: `+4915112${300000 + i}`,
        })),
      });
      const started = await gw.api(`/v1/connections/${firstId}/backfill`, { method: 'POST' });
      expect(started.status).toBe(202);
      const runId = (await json(started)).id;
      const run = await eventually(async () => {
        const { backfill } = await json(await gw.api(`/v1/connections/${firstId}/backfill`));
        return backfill?.id === runId && backfill.status === 'completed' ? backfill : null;
      }, 60_000);
      expect(run).toMatchObject({ contacts_total: 120, contacts_seen: 120 });
    });
  });

  it('asks Salesforce which org a token reaches, and refuses a second connection of that org', async () => {
    const org = new SalesforceSimulator();
    const url = await org.start();
    try {
      // A token as an admin would paste it: obtained outside the gateway, without its identity URL.
      const redirectUri = 'http://127.0.0.1:9/callback';
      const approve = await fetch(
        `${url}/services/oauth2/authorize?response_type=code&client_id=outside&redirect_uri=${encodeURIComponent(redirectUri)}`,
        { redirect: 'manual' },
      );
      const code = new URL(approve.headers.get('location')!).searchParams.get('code')!;
      const token = (await (
        await fetch(`${url}/services/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            client_id: 'outside',
            redirect_uri: redirectUri,
          }),
        })
      ).json()) as { access_token: string };
      const connect = (name: string) =>
        gw.api('/v1/connections', {
          method: 'POST',
          json: {
            type: 'salesforce',
            name,
            credentials: { access_token: token.access_token, instance_url: url },
          },
        });
      const first = await connect('Org by token');
      expect(first.status).toBe(201);
      expect((await json(first)).external_account_id).toBe(org.orgId);
      const second = await connect('Org by token again');
      expect(second.status).toBe(409);
      expect((await json(second)).detail).toContain(
        `Salesforce org ${org.orgId} is already connected as "Org by token"`,
      );
    } finally {
      await org.stop();
    }
  });

  it("shows a webhook processor's endpoint URL, and never its signing secret again", async () => {
    const created = await gw.api('/v1/connections', {
      method: 'POST',
      json: { type: 'webhook', name: 'Mailer', credentials: { url: 'http://127.0.0.1:9/hooks/consent' } },
    });
    expect(created.status).toBe(201);
    const { id, signing_secret: secret } = await json(created);
    const shown = await json(await gw.api(`/v1/connections/${id}`));
    expect(shown.endpoint_url).toBe('http://127.0.0.1:9/hooks/consent');
    expect(JSON.stringify(shown)).not.toContain(secret);
    const crm = (
      (await json(await gw.api('/v1/connections'))).connections as {
        type: string;
        endpoint_url: string | null;
      }[]
    ).filter((c) => c.type === 'hubspot');
    expect(crm.every((c) => c.endpoint_url === null)).toBe(true);
  });

  it('judges a connection whose deliveries mostly skip as not healthy, saying why', async () => {
    // A portal that holds none of the people who type STOP: every withdrawal is skipped as not found.
    const created = await json(await connectByToken('Empty portal', emptyPortalUrl));
    const numbers = ['4915112340001', '4915112340002', '4915112340003'];
    for (const [i, from] of numbers.entries()) {
      const res = await gw.postWebhook(
        textWebhook({ wamid: `wamid.HEALTH${i}`, from, timestamp: Math.floor(Date.now() / 1000) }),
      );
      expect(res.status).toBe(200);
    }
    const health = await eventually(async () => {
      const { connections } = await json(await gw.api('/v1/overview'));
      const c = (connections as { id: string; recent: { skipped: number } }[]).find(
        (x) => x.id === created.id,
      );
      return c && c.recent.skipped === numbers.length ? c : null;
    }, 60_000);
    expect(health).toMatchObject({
      status: 'active',
      recent: { days: 7, succeeded: 0, skipped: 3, dead: 0, open: 0 },
      health: { level: 'warning', reason: '3 of 3 deliveries skipped: no matching record at HubSpot.' },
    });
  });
});
