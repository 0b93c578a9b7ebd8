import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  AuthFailedError,
  PermanentError,
  type ConnectionContext,
  type ConnectorDeps,
} from '../../src/modules/connectors/connector.port';
import { HubspotClient } from '../../src/modules/connectors/hubspot/hubspot.client';
import { SalesforceOAuth } from '../../src/modules/connectors/salesforce';
import { SalesforceClient } from '../../src/modules/connectors/salesforce/salesforce.client';
import { OutboundGuard, OutboundRefusedError } from '../../src/platform/http/outbound-guard';

/**
 * Issue 10, SSRF through the vendor SDKs: each client, built as the gateway builds it, talks only to the host it
 * was given. A stand-in vendor on an allow-listed port answers with redirects, foreign `nextRecordsUrl`s and token
 * responses naming an internal `instance_url`; the internal listener (a port not allow-listed) must never be hit.
 */
interface Listener {
  port: number;
  url: string;
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
  const port = (server.address() as { port: number }).port;
  return { port, url: `http://127.0.0.1:${port}`, hits, server };
}

let inside: Listener;
let vendor: Listener;
/** What the stand-in vendor answers next, by path prefix. */
let answer: (req: IncomingMessage, res: ServerResponse) => void;
let guard: OutboundGuard;

beforeAll(async () => {
  inside = await listen((_req, res) => res.end('{"internal":true}'));
  vendor = await listen((req, res) => answer(req, res));
  guard = new OutboundGuard({ outboundAllowlist: [`127.0.0.1:${vendor.port}`] });
});

afterAll(async () => {
  await Promise.all([inside, vendor].map((l) => new Promise((resolve) => l.server.close(resolve))));
});

beforeEach(() => {
  vendor.hits.length = 0;
  inside.hits.length = 0;
});

afterEach(() => {
  expect(inside.hits).toEqual([]);
});

const redirectInside = (req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(302, { location: `${inside.url}${req.url}` }).end();

function deps(): ConnectorDeps {
  return {
    onCredentials: async () => {},
    beforeRefresh: async () => {},
    pace: async () => {},
    oauthClient: { clientId: 'client', clientSecret: 'secret' },
    publicBaseUrl: 'http://gateway.test',
    outbound: guard,
  };
}

function context(
  type: 'hubspot' | 'salesforce',
  credentials: ConnectionContext['credentials'],
): ConnectionContext {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    type,
    name: type,
    baseUrl: vendor.url,
    loginUrl: vendor.url,
    credentials,
    externalAccountId: null,
    mapping: {},
    erasureMode: 'hard_delete',
    phoneRegion: null,
  };
}

describe("the outbound guard's agent", () => {
  it('refuses a name that resolves to loopback, at connect time', async () => {
    const url = new URL(`http://localhost:${inside.port}/`);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const req = request(url, { agent: guard.agentFor(url) }, () => resolve(new Error('answered')));
      req.on('error', resolve);
      req.end();
    });
    expect(error).toBeInstanceOf(OutboundRefusedError);
    expect(error.code).toBe('EPRIVATE');
  });
});

describe('HubSpot SDK', () => {
  it('a redirect of a generated API call is not followed to an internal address', async () => {
    answer = redirectInside;
    const client = new HubspotClient(context('hubspot', { accessToken: 'pat-na1-token' }), deps());
    await client.begin();
    const error = await client
      .call((c) => c.crm.properties.coreApi.getByName('contacts', 'email'))
      .catch((e) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(vendor.hits).toHaveLength(1);
  });

  it('a redirect of apiRequest (communication preferences) is not followed at all', async () => {
    answer = redirectInside;
    const client = new HubspotClient(context('hubspot', { accessToken: 'pat-na1-token' }), deps());
    await client.begin();
    const error = await client
      .request({ method: 'GET', path: '/communication-preferences/v4/statuses/someone' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/redirect \(302\), which is not followed/);
  });
});

describe('jsforce', () => {
  const version = '62.0';

  it('a request to another host than the checked instance is refused before it is sent', async () => {
    answer = (_req, res) => res.end('{}');
    const client = new SalesforceClient(
      context('salesforce', { accessToken: 'session', instanceUrl: vendor.url }),
      deps(),
    );
    const error = await client
      .call('foreign', (conn) => conn.request(`${inside.url}/services/data/v${version}/query/01gxx-2000`))
      .catch((e) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as NodeJS.ErrnoException).code).toBe('EPRIVATE');
    expect(vendor.hits).toEqual([]);
  });

  it('a nextRecordsUrl on another host is fetched from the checked instance (jsforce keeps only the locator)', async () => {
    answer = (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ totalSize: 0, done: true, records: [] }));
    };
    const client = new SalesforceClient(
      context('salesforce', { accessToken: 'session', instanceUrl: vendor.url }),
      deps(),
    );
    await client.queryMore(`${inside.url}/services/data/v${version}/query/01gxx-2000`);
    expect(vendor.hits).toEqual([`GET /services/data/v${version}/query/01gxx-2000`]);
  });

  it('a redirect from the instance is not followed', async () => {
    answer = redirectInside;
    const client = new SalesforceClient(
      context('salesforce', { accessToken: 'session', instanceUrl: vendor.url }),
      deps(),
    );
    const error = await client.query('SELECT Id FROM Contact').catch((e) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(vendor.hits).toHaveLength(1);
  });

  it('a token refresh that names an internal instance_url fails the work, and nothing is sent there', async () => {
    answer = (req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/services/oauth2/token')) {
        res.end(JSON.stringify({ access_token: 'refreshed', instance_url: inside.url }));
      } else {
        res
          .writeHead(401)
          .end(JSON.stringify([{ message: 'Session expired', errorCode: 'INVALID_SESSION_ID' }]));
      }
    };
    const stored: unknown[] = [];
    const client = new SalesforceClient(
      context('salesforce', { accessToken: 'expired', refreshToken: 'refresh', instanceUrl: vendor.url }),
      { ...deps(), onCredentials: async (c) => void stored.push(c) },
    );
    const error = await client.query('SELECT Id FROM Contact').catch((e) => e);
    expect(error).toBeInstanceOf(AuthFailedError);
    expect(stored).toEqual([]);
  });

  it('an OAuth code exchange whose token response names an internal instance_url is refused', async () => {
    answer = (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: 'token', instance_url: inside.url, id: 'x' }));
    };
    const oauth = new SalesforceOAuth({ clientId: 'client', clientSecret: 'secret' }, guard);
    const error = await oauth
      .exchangeCode({ apiBaseUrl: vendor.url, code: 'code', redirectUri: 'http://gateway.test/cb' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(AuthFailedError);
    expect((error as Error).message).toMatch(/neither Salesforce's nor in OUTBOUND_ALLOWLIST/);
  });
});
