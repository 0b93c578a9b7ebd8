import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { TEST_FAILURE } from '../../../src/modules/connectors/test-outcome';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { freePort, json, startTestApp, testConfig, type TestApp } from '../../support/app';

/** A server on 127.0.0.1 started by the test, counting the requests that reach it. */
interface Listener {
  port: number;
  hits: string[];
  server: Server;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listener> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, hits, server };
}

const close = (server: Server | TcpServer) => new Promise((resolve) => server.close(resolve));

/**
 * Issue 10, "SSRF through IPv4-mapped IPv6": every attack is made against listeners on 127.0.0.1 that the test
 * starts itself, and each must fail without the listener ever seeing a request. The gateway's allowlist names
 * only the ports of the test's own stand-ins for vendors (host:port), never the listener's.
 */
describe('SSRF: outbound requests never reach a private address (issue 10)', () => {
  let db: TestDatabase;
  let gw: TestApp;
  /** The internal service an attacker wants to reach. */
  let inside: Listener;
  /** An allow-listed vendor stand-in that redirects every request to the internal service. */
  let redirector: Listener;
  /** An allow-listed Salesforce stand-in whose token refresh names the internal service as instance_url. */
  let salesforce: Listener;
  /** An allow-listed port where a TCP service (not HTTP) accepts and closes connections. */
  let tcp: TcpServer;
  let tcpPort: number;
  const tcpSockets: Socket[] = [];
  /** An allow-listed port nothing listens on. */
  let closedPort: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    inside = await listen((_req, res) => res.end('internal secrets'));
    redirector = await listen((req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${inside.port}${req.url}` }).end();
    });
    salesforce = await listen((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/services/oauth2/token')) {
        res.end(
          JSON.stringify({ access_token: 'refreshed', instance_url: `http://127.0.0.1:${inside.port}` }),
        );
      } else {
        res
          .writeHead(401)
          .end(JSON.stringify([{ message: 'Session expired', errorCode: 'INVALID_SESSION_ID' }]));
      }
    });
    tcp = createTcpServer((socket) => {
      tcpSockets.push(socket);
      socket.end('SSH-2.0-OpenSSH_9.6\r\n');
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    tcpPort = (tcp.address() as { port: number }).port;
    closedPort = await freePort();
    const port = await freePort();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, {
        PORT: String(port),
        OUTBOUND_ALLOWLIST: [redirector.port, salesforce.port, tcpPort, closedPort]
          .map((p) => `127.0.0.1:${p}`)
          .join(','),
        SALESFORCE_CLIENT_ID: 'client-id',
        SALESFORCE_CLIENT_SECRET: 'client-secret',
      }),
    });
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([inside, redirector, salesforce].map((l) => l && close(l.server)));
    for (const socket of tcpSockets) socket.destroy();
    if (tcp) await close(tcp);
    await db?.drop();
  });

  afterEach(() => {
    expect(inside.hits).toEqual([]);
  });

  const connect = (body: Record<string, unknown>) =>
    gw.api('/v1/connections', { method: 'POST', json: { name: `attempt ${Math.random()}`, ...body } });

  const connectionNames = async () =>
    (await json(await gw.api('/v1/connections'))) as
      { data?: Array<{ name: string }> } | Array<{ name: string }>;

  describe('a webhook URL at any spelling of a private address is refused with a 400 naming the field', () => {
    const forms = () => [
      `https://[::ffff:7f00:1]:${inside.port}/`,
      `https://[::ffff:127.0.0.1]:${inside.port}/`,
      `https://[::ffff:a9fe:a9fe]/latest/meta-data/`,
      `https://[::7f00:1]:${inside.port}/`,
      `https://[::ffff:0:7f00:1]:${inside.port}/`,
      `https://[0:0:0:0:0:ffff:7f00:1]:${inside.port}/`,
      `https://[64:ff9b::7f00:1]:${inside.port}/`,
      `https://[2002:7f00:1::]:${inside.port}/`,
      `https://[fec0::1]:${inside.port}/`,
      `https://[fd00:ec2::254]/`,
      `https://[::1]:${inside.port}/`,
      `https://2130706433:${inside.port}/`,
      `https://0x7f.1:${inside.port}/`,
      `https://127.1:${inside.port}/`,
      `https://localhost:${inside.port}/`,
      // Allow-listed host, but not this port: an entry names its port.
      `http://127.0.0.1:${inside.port}/`,
    ];

    it('for every form', async () => {
      for (const url of forms()) {
        const res = await connect({ type: 'webhook', credentials: { url } });
        const body = await json(res);
        expect({ url, status: res.status }).toEqual({ url, status: 400 });
        expect(body.errors).toEqual([{ field: 'credentials.url', message: expect.any(String) }]);
      }
      const listed = await connectionNames();
      const rows = Array.isArray(listed) ? listed : (listed.data ?? []);
      expect(rows.filter((c) => c.name.startsWith('attempt'))).toEqual([]);
    });
  });

  it('an event subscription at a mapped spelling of loopback is refused with a 400 naming url', async () => {
    for (const url of [`https://[::ffff:7f00:1]:${inside.port}/`, `https://[::7f00:1]:${inside.port}/`]) {
      const res = await gw.api('/v1/event-subscriptions', {
        method: 'POST',
        json: { url, events: ['request.overdue'] },
      });
      expect(res.status).toBe(400);
      expect((await json(res)).errors).toEqual([{ field: 'url', message: expect.any(String) }]);
    }
  });

  it('a HubSpot account whose API redirects to an internal address: the redirect is not followed there', async () => {
    const res = await connect({
      type: 'hubspot',
      base_url: `http://127.0.0.1:${redirector.port}`,
      credentials: { access_token: 'pat-na1-attacker' },
    });
    expect(res.status).toBe(201);
    const { id } = await json(res);
    const test = await json(await gw.api(`/v1/connections/${id}/test`, { method: 'POST' }));
    expect(test).toMatchObject({ ok: false, detail: TEST_FAILURE.notAllowed });
    expect(redirector.hits.length).toBeGreaterThan(0);
  });

  it("a Salesforce token's instance_url must be Salesforce's own https host or allow-listed, named in the error", async () => {
    for (const instance_url of [
      `http://127.0.0.1:${inside.port}`,
      `https://[::ffff:7f00:1]:${inside.port}`,
      'http://acme.my.salesforce.com',
      'https://acme.my.salesforce.com.attacker.example',
    ]) {
      const res = await connect({
        type: 'salesforce',
        credentials: { access_token: 'session-token', instance_url },
      });
      expect({ instance_url, status: res.status }).toEqual({ instance_url, status: 400 });
      expect((await json(res)).errors).toEqual([
        { field: 'credentials.instance_url', message: expect.any(String) },
      ]);
    }
  });

  it('a Salesforce instance that redirects to an internal address: jsforce does not follow', async () => {
    const res = await connect({
      type: 'salesforce',
      credentials: { access_token: 'session-token', instance_url: `http://127.0.0.1:${redirector.port}` },
    });
    expect(res.status).toBe(201);
    const { id } = await json(res);
    const test = await json(await gw.api(`/v1/connections/${id}/test`, { method: 'POST' }));
    expect(test.ok).toBe(false);
    expect(redirector.hits.some((h) => h.includes('/services/data/'))).toBe(true);
  });

  it('a Salesforce token refresh naming an internal instance_url is refused, and the next call stays out', async () => {
    const res = await connect({
      type: 'salesforce',
      login_url: `http://127.0.0.1:${salesforce.port}`,
      credentials: {
        access_token: 'expired-session',
        refresh_token: 'refresh-token',
        instance_url: `http://127.0.0.1:${salesforce.port}`,
      },
    });
    expect(res.status).toBe(201);
    const { id } = await json(res);
    for (let attempt = 0; attempt < 2; attempt++) {
      const test = await json(await gw.api(`/v1/connections/${id}/test`, { method: 'POST' }));
      expect(test).toMatchObject({ ok: false, detail: TEST_FAILURE.credentials });
    }
    expect(salesforce.hits.some((h) => h.startsWith('POST /services/oauth2/token'))).toBe(true);
    const view = await json(await gw.api(`/v1/connections/${id}`));
    expect(view.base_url ?? '').not.toContain(String(inside.port));
  });

  it('a connection test says the same for a closed port, a non-HTTP service and a TLS mismatch', async () => {
    const details: string[] = [];
    for (const url of [
      `http://127.0.0.1:${closedPort}/hooks`,
      `http://127.0.0.1:${tcpPort}/hooks`,
      `https://127.0.0.1:${redirector.port}/hooks`, // TLS to a plain HTTP server
    ]) {
      const res = await connect({ type: 'webhook', credentials: { url } });
      expect(res.status).toBe(201);
      const { id } = await json(res);
      const test = await json(await gw.api(`/v1/connections/${id}/test`, { method: 'POST' }));
      expect(test.ok).toBe(false);
      details.push(test.detail);
    }
    expect(details).toEqual(Array(3).fill(TEST_FAILURE.unreachable));
  });

  it('a webhook endpoint that redirects to an internal address: the redirect is not followed', async () => {
    const res = await connect({
      type: 'webhook',
      credentials: { url: `http://127.0.0.1:${redirector.port}/hooks` },
    });
    expect(res.status).toBe(201);
    const { id } = await json(res);
    const test = await json(await gw.api(`/v1/connections/${id}/test`, { method: 'POST' }));
    expect(test).toMatchObject({
      ok: false,
      detail: TEST_FAILURE.redirect,
    });
  });
});
