import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubSpotSimulator } from '../../sandbox/hubspot';
import { SalesforceSimulator } from '../../sandbox/salesforce';
import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { connectByOAuth, SANDBOX_CLIENT, sandboxEnv } from '../support/sandbox';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, TEST_API_KEY } from '../support/app';
import { GatewayProcesses } from '../support/gateway-processes';

const ROOT = join(__dirname, '../..');
const PEOPLE = 1000;
const CLIENT = SANDBOX_CLIENT;

/**
 * The gateway as it runs in production: an API process and a separate worker process, built from dist/.
 * The worker is killed with SIGKILL in the middle of propagating; a new one must finish the job with
 * nothing lost and nothing wrong at any vendor.
 */
describe('a worker killed mid-propagation', () => {
  let db: TestDatabase;
  const hubspot = new HubSpotSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret, latencyMs: 50 });
  const salesforce = new SalesforceSimulator({
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    latencyMs: 50,
  });
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  let env: NodeJS.ProcessEnv;
  let base: string;

  const processes = new GatewayProcesses(() => env);
  const spawnGateway = (entry: 'main.js' | 'worker.js', extra: NodeJS.ProcessEnv = {}) =>
    processes.spawn(entry, extra);

  const api = async (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('authorization', `Bearer ${TEST_API_KEY}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(base + path, {
      ...rest,
      headers,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  };

  const counts = async () => {
    const rows = await db.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM delivery GROUP BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Record<string, number>;
  };

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
    db = await createTestDatabase();
    const [hubspotUrl, salesforceUrl, processorUrl] = await Promise.all([
      hubspot.start(),
      salesforce.start(),
      processor.start(),
    ]);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      DATABASE_URL: db.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'cg-crash-')),
      WHATSAPP_APP_SECRET: 'test-app-secret',
      WHATSAPP_VERIFY_TOKEN: 'test-verify-token',
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      BOOTSTRAP_API_KEY: TEST_API_KEY,
      LOG_LEVEL: 'warn',
      ...sandboxEnv(port),
    };
    spawnGateway('main.js', { GATEWAY_ROLES: 'api' });
    await eventually(async () => (await fetch(`${base}/health`)).ok, 60_000);

    const seeded = hubspot.seedContacts({ count: PEOPLE, whatsapp: true });
    const phones = Array.from({ length: PEOPLE }, (_, i) =>
      HubSpotSimulator.seededPhone(Number(seeded.firstId) + i),
    );
    salesforce.seed({
      contacts: phones.map((phone, i) => ({ LastName: `Person ${i}`, MobilePhone: phone })),
    });

    const hs = await api('/v1/connections', {
      method: 'POST',
      json: {
        type: 'hubspot',
        name: 'HubSpot',
        base_url: hubspotUrl,
        credentials: { access_token: 'pat-na1-sandbox' },
      },
    });
    expect(hs.status).toBe(201);
    await connectByOAuth(api, 'salesforce', salesforceUrl, 'SF');
    const wh = await api('/v1/connections', {
      method: 'POST',
      json: { type: 'webhook', name: 'processor', credentials: { url: `${processorUrl}/hooks` } },
    });
    processor.useSecret(((await wh.json()) as { signing_secret: string }).signing_secret);

    const capturedAt = new Date().toISOString();
    const res = await api('/v1/consent-events', {
      method: 'POST',
      json: {
        events: phones.map((phone, i) => ({
          event_id: `crash-${i}`,
          phone,
          purpose: 'marketing',
          channel: 'whatsapp',
          status: 'withdrawn',
          captured_at: capturedAt,
        })),
      },
    });
    expect(res.status).toBe(200);
  }, 180_000);

  afterAll(async () => {
    processes.killAll();
    await Promise.all([hubspot.stop(), salesforce.stop(), processor.stop()]);
    await db?.drop();
  });

  it('delivers all 3,000 withdrawals after a restart, with every vendor holding the right state', async () => {
    expect((await counts()).pending).toBe(PEOPLE * 3);

    const first = spawnGateway('worker.js');
    await eventually(async () => ((await counts()).succeeded ?? 0) >= 300, 60_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const atKill = await counts();
    expect(atKill.succeeded).toBeLessThan(PEOPLE * 3);

    spawnGateway('worker.js');
    let seen: Record<string, number> = {};
    const final = await eventually(async () => {
      seen = await counts();
      return seen.succeeded === PEOPLE * 3 ? seen : null;
    }, 300_000).catch(async (error: Error) => {
      // Say what held the deliveries back: their statuses per connection and the errors they carry.
      const stuck = await db.query(
        `SELECT connection_id, status, count(*) AS n, max(attempts) AS attempts, max(next_attempt_at) AS next_at,
                min(last_error) AS error FROM delivery
          WHERE status <> 'succeeded' GROUP BY 1, 2`,
      );
      const leases = await db.query(
        `SELECT id, type, status, drain_owner, drain_lease_until, now() AS now FROM connection`,
      );
      const jobs = await db.query(
        `SELECT name, state, count(*) AS n, max(start_after) AS start_after FROM pgboss.job GROUP BY 1, 2`,
      );
      const backends = await db.query(
        `SELECT application_name, state, wait_event_type, wait_event, left(query, 160) AS query, xact_start
           FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      throw new Error(
        [
          `${error.message}; counts ${JSON.stringify(seen)}; not done ${JSON.stringify(stuck)}`,
          `connections ${JSON.stringify(leases)}`,
          `jobs ${JSON.stringify(jobs)}`,
          `backends ${JSON.stringify(backends)}`,
          processes.report(),
        ].join('\n'),
      );
    });
    expect(final).toEqual({ succeeded: PEOPLE * 3 });

    const contacts = [...hubspot.portal().contacts.values()];
    expect(contacts.filter((c) => c.properties.wa_marketing_consent === 'OPTED_OUT')).toHaveLength(PEOPLE);
    const consents = [...salesforce.state.records.ContactPointTypeConsent.values()];
    expect(consents).toHaveLength(PEOPLE);
    expect(consents.every((c) => c.PrivacyConsentStatus === 'OptOut')).toBe(true);
    const changed = processor.received.filter((r) => r.type === 'consent.changed');
    expect(changed).toHaveLength(PEOPLE);
    const subjects = new Set(
      changed.map((r) => (r.payload as { data: { subject_id: string } }).data.subject_id),
    );
    expect(subjects.size).toBe(PEOPLE);
  }, 420_000);
});
