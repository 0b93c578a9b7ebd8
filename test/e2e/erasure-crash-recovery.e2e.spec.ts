import { type ChildProcess, execFileSync } from 'node:child_process';
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
const PEOPLE = 500;
const CLIENT = SANDBOX_CLIENT;

/**
 * The gateway as it runs in production: an API process and a separate worker process, built from dist/.
 * The worker is killed with SIGKILL in the middle of propagating; a new one must finish the job with
 * nothing lost and nothing wrong at any vendor.
 */
/**
 * Issue 9: a worker killed with SIGKILL in the middle of a 500-person erasure batch. After a restart every erasure
 * completes at every processor and in the gateway, and none is done twice.
 */
describe('a worker killed mid-erasure', () => {
  let db: TestDatabase;
  const hubspot = new HubSpotSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret, latencyMs: 50 });
  const salesforce = new SalesforceSimulator({
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    latencyMs: 50,
  });
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', {
    confirmations: 'auto',
  });
  let env: NodeJS.ProcessEnv;
  let base: string;
  let phones: string[];

  const processes = new GatewayProcesses(() => env);
  const spawnGateway = (entry: 'main.js' | 'worker.js', extra: NodeJS.ProcessEnv = {}) =>
    processes.spawn(entry, extra);
  const stop = async (child: ChildProcess, signal: NodeJS.Signals) => {
    child.kill(signal);
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  };

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

  const erasures = async () => {
    const rows = await db.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM delivery WHERE operation = 'erasure' GROUP BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Record<string, number>;
  };
  const completedRequests = async () =>
    Number(
      (
        await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM data_subject_request WHERE type = 'erasure' AND status = 'completed'`,
        )
      )[0].n,
    );

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
      { cwd: ROOT, stdio: 'ignore' },
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
      DATA_DIR: mkdtempSync(join(tmpdir(), 'cg-erasure-crash-')),
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
    phones = Array.from({ length: PEOPLE }, (_, i) =>
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

    // Everyone withdrew earlier: each processor holds them (the withdrawals go out without a DPA).
    const capturedAt = new Date().toISOString();
    const res = await api('/v1/consent-events', {
      method: 'POST',
      json: {
        events: phones.map((phone, i) => ({
          event_id: `erasure-crash-${i}`,
          phone,
          purpose: 'marketing',
          channel: 'whatsapp',
          status: 'withdrawn',
          captured_at: capturedAt,
        })),
      },
    });
    expect(res.status).toBe(200);
    const seeder = spawnGateway('worker.js');
    await eventually(async () => {
      const rows = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM delivery WHERE status = 'succeeded'`,
      );
      return Number(rows[0].n) === PEOPLE * 3;
    }, 180_000);
    await stop(seeder, 'SIGTERM');

    for (const phone of phones) {
      const created = await api('/v1/requests', {
        method: 'POST',
        json: { type: 'erasure', phone, verification: { method: 'id_document', note: 'verified in branch' } },
      });
      expect(created.status).toBe(201);
    }
  }, 600_000);

  afterAll(async () => {
    processes.killAll();
    await Promise.all([hubspot.stop(), salesforce.stop(), processor.stop()]);
    await db?.drop();
  });

  it('completes every erasure after a restart, none twice', async () => {
    expect((await erasures()).pending).toBe(PEOPLE * 3);

    const first = spawnGateway('worker.js');
    await eventually(async () => ((await erasures()).succeeded ?? 0) >= 150, 120_000);
    await stop(first, 'SIGKILL');
    expect(await completedRequests()).toBeLessThan(PEOPLE);

    spawnGateway('worker.js');
    await eventually(async () => (await completedRequests()) === PEOPLE, 300_000).catch(async (error) => {
      // What held the rest back, for the failure message.
      const deliveries = await db.query(
        `SELECT c.type, d.status, d.reason, left(d.last_error, 160) AS last_error, count(*) AS n FROM delivery d
           JOIN connection c ON c.id = d.connection_id WHERE d.operation = 'erasure' GROUP BY 1, 2, 3, 4`,
      );
      const requests = await db.query(
        `SELECT status, status_reason, count(*) AS n FROM data_subject_request GROUP BY 1, 2`,
      );
      const tasks = await db.query(`SELECT status, count(*) AS n FROM request_task GROUP BY 1`);
      throw new Error(
        `${(error as Error).message}: ${JSON.stringify({ deliveries, requests, tasks })}\n${processes.report()}`,
      );
    });

    // One settled erasure per person and processor: none repeated, none lost.
    const perTarget = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM delivery WHERE operation = 'erasure' GROUP BY subject_id, connection_id HAVING count(*) > 1`,
    );
    expect(perTarget).toEqual([]);
    expect(await erasures()).toEqual({ succeeded: PEOPLE * 3 });
    // Each person forgotten once: one completion in each request's history.
    const completions = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM request_event WHERE action = 'completed' GROUP BY request_id HAVING count(*) <> 1`,
    );
    expect(completions).toEqual([]);
    expect(hubspot.portal().contacts.size).toBe(0);
    expect(hubspot.portal().gdprDeletedIds.size).toBe(PEOPLE);
    expect(salesforce.state.records.Contact.size).toBe(0);
    const requested = processor.received.filter((r) => r.type === 'subject.erasure_requested');
    expect(requested).toHaveLength(PEOPLE);
    const remaining = await db.query<{ n: string }>(`SELECT count(*) AS n FROM subject_identity`);
    expect(Number(remaining[0].n)).toBe(0);
  }, 600_000);
});
