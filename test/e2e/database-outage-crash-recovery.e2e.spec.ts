import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { signWhatsAppBody } from '../../src/modules/whatsapp/whatsapp-signature';
import { eventually, freePort, TEST_API_KEY } from '../support/app';
import { TestPostgres } from '../support/embedded-pg';
import { GatewayProcesses } from '../support/gateway-processes';
import { textWebhook } from '../support/whatsapp';

const ROOT = join(__dirname, '../..');
const STOPS = 5_000;
const WARM_UP = 50;
const SENDERS = 16;
const RESTARTS_AT = [1_200, 2_600, 4_000];
const APP_SECRET = 'test-app-secret';

const phoneOf = (i: number) => `1650253${String(i).padStart(4, '0')}`;

/**
 * The gateway as production runs it (dist/main.js, API and worker in one process) on a PostgreSQL of its
 * own, which is unreachable when the gateway starts and is then restarted three times under a stream of
 * signed WhatsApp STOPs, consent checks and propagation to a webhook processor. The database going away is
 * something to wait out, never a reason to exit, to acknowledge what was not committed, or to answer a
 * check with a 5xx.
 */
describe('the database restarting under load', () => {
  const postgres = new TestPostgres();
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  let env: NodeJS.ProcessEnv;
  let base: string;
  let gateway: ChildProcess;
  const processes = new GatewayProcesses(() => env);

  const query = async <T>(sql: string): Promise<T[]> => {
    const client = new Client({ connectionString: postgres.url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };

  /** One signed STOP, sent until answered 200 (as Meta retries); every other answer is kept. */
  const refusals: { status: number; retryAfter: string | null }[] = [];
  const connectionFailures: string[] = [];
  let acknowledged = 0;
  const sendStop = async (i: number) => {
    const body = textWebhook({ wamid: `wamid.outage-${i}`, from: phoneOf(i) });
    for (;;) {
      try {
        const res = await fetch(`${base}/webhooks/whatsapp`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': signWhatsAppBody(APP_SECRET, body),
          },
          body,
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          acknowledged++;
          return;
        }
        refusals.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
      } catch (error) {
        connectionFailures.push((error as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
      { cwd: ROOT, stdio: 'ignore' },
    );
    // Created once (so its URL and database exist), then stopped before the gateway starts.
    await postgres.start();
    await postgres.stop();
    const [port] = await Promise.all([freePort(), processor.start()]);
    base = `http://127.0.0.1:${port}`;
    env = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      DATABASE_URL: postgres.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'cg-outage-')),
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'test-verify-token',
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      BOOTSTRAP_API_KEY: TEST_API_KEY,
      OUTBOUND_ALLOWLIST: '127.0.0.1:*',
      CHECK_WHEN_DATABASE_DOWN: 'serve_stale',
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    };
  }, 600_000);

  afterAll(async () => {
    processes.killAll();
    await processor.stop();
    await postgres.stop();
  });

  it('starts with the database down: live and answering 503s, ready once the database appears', async () => {
    gateway = processes.spawn('main.js');
    const live = await eventually(async () => {
      const res = await fetch(`${base}/health/live`);
      return res.status === 200 ? ((await res.json()) as { ready: boolean }) : null;
    }, 60_000);
    expect(live.ready).toBe(false);
    for (const path of ['/health/ready', '/health']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    const body = textWebhook({ wamid: 'wamid.before-the-database' });
    const webhook = await fetch(`${base}/webhooks/whatsapp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signWhatsAppBody(APP_SECRET, body),
      },
      body,
    });
    expect(webhook.status).toBe(503);
    expect(webhook.headers.get('retry-after')).toMatch(/^\d+$/);

    // Thirty seconds without a database: the process waits, it does not exit.
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    expect(gateway.exitCode).toBeNull();
    expect((await fetch(`${base}/health/ready`)).status).toBe(503);

    await postgres.start();
    await eventually(async () => (await fetch(`${base}/health/ready`)).status === 200, 120_000);
    expect(gateway.exitCode).toBeNull();
    expect(processes.children).toHaveLength(1);
    const migrated = await query<{ n: string }>(`SELECT count(*) AS n FROM migrations`);
    expect(Number(migrated[0].n)).toBeGreaterThan(0);
  }, 240_000);

  it('keeps every acknowledged STOP through three restarts, answers checks throughout, and never exits', async () => {
    const api = (path: string, init: RequestInit = {}) =>
      fetch(base + path, {
        ...init,
        headers: {
          authorization: `Bearer ${TEST_API_KEY}`,
          ...(init.body ? { 'content-type': 'application/json' } : {}),
        },
      });
    const created = await api('/v1/connections', {
      method: 'POST',
      body: JSON.stringify({
        type: 'webhook',
        name: 'processor',
        credentials: { url: `${processor.url}/hooks` },
      }),
    });
    expect(created.status).toBe(201);
    processor.useSecret(((await created.json()) as { signing_secret: string }).signing_secret);

    // People whose withdrawal is known before the first restart: their checks must keep answering.
    for (let i = 0; i < WARM_UP; i++) await sendStop(i);
    const warmUpPhones = Array.from({ length: 5 }, (_, i) => `+${phoneOf(i)}`);
    let lastAnswers: unknown[] = [];
    await eventually(async () => {
      lastAnswers = await Promise.all(
        warmUpPhones.map(async (phone) => {
          const res = await api(`/v1/consents/check?phone=${encodeURIComponent(phone)}`);
          return { status: res.status, ...((await res.json()) as { reason: string }) };
        }),
      );
      return lastAnswers.every((a) => (a as { reason: string }).reason === 'consent_withdrawn');
    }, 120_000).catch(async (error: Error) => {
      const events = await query(`SELECT source, count(*) AS n FROM consent_event GROUP BY 1`);
      throw new Error(
        `${error.message}; checks ${JSON.stringify(lastAnswers)}; events ${JSON.stringify(events)}\n${processes.report()}`,
      );
    });
    await eventually(async () => (await fetch(`${base}/health/ready`)).status === 200, 30_000);

    const checks: { status: number; stale: boolean; reason?: string }[] = [];
    let streaming = true;
    const checking = (async () => {
      for (let n = 0; streaming; n++) {
        const phone = warmUpPhones[n % warmUpPhones.length];
        try {
          const res = await api(`/v1/consents/check?phone=${encodeURIComponent(phone)}`);
          const body = (await res.json()) as { stale?: boolean; reason?: string };
          checks.push({ status: res.status, stale: body.stale === true, reason: body.reason });
        } catch (error) {
          connectionFailures.push(`check: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const restarts = (async () => {
      for (const at of RESTARTS_AT) {
        await eventually(async () => acknowledged >= at, 600_000);
        await postgres.restart(3_000);
      }
    })();

    let next = WARM_UP;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < STOPS) await sendStop(next++);
      }),
    );
    await restarts;
    streaming = false;
    await checking;

    // Every STOP answered 200 is in the ledger (each was sent until its first 200, and then never again).
    expect(acknowledged).toBe(STOPS);
    // (The ledger is written from the inbox after the acknowledgement, so this is waited for.)
    let recorded = 0;
    await eventually(async () => {
      const rows = await query<{ n: string }>(
        `SELECT count(DISTINCT source_event_id) AS n FROM consent_event WHERE source = 'whatsapp'`,
      );
      recorded = Number(rows[0].n);
      return recorded >= STOPS;
    }, 300_000).catch(() => undefined);
    expect(recorded).toBe(STOPS);

    // Every refusal said to come back later; the database did go away under the stream.
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.filter((r) => r.status !== 503 || !/^\d+$/.test(r.retryAfter ?? ''))).toEqual([]);
    expect(connectionFailures).toEqual([]);

    // Checks never failed: answered from memory, marked stale, while the database was away.
    expect(checks.filter((c) => c.status !== 200)).toEqual([]);
    expect(checks.some((c) => c.stale)).toBe(true);
    expect(checks.every((c) => c.reason === 'consent_withdrawn')).toBe(true);

    // Every withdrawal reached the processor, once per person.
    await eventually(async () => {
      const people = new Set(
        processor.received
          .filter((r) => r.type === 'consent.changed')
          .map((r) => (r.payload as { data: { subject_id: string } }).data.subject_id),
      );
      return people.size >= STOPS;
    }, 300_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${processes.report()}`);
    });
    const open = await query<{ n: string }>(`SELECT count(*) AS n FROM delivery WHERE status <> 'succeeded'`);
    expect(Number(open[0].n)).toBe(0);

    // The same process throughout, and its last-resort guard never had to catch anything.
    expect(gateway.exitCode).toBeNull();
    expect(processes.children).toHaveLength(1);
    const live = (await (await fetch(`${base}/health/live`)).json()) as { process_guard_hits: number };
    expect(live.process_guard_hits).toBe(0);
    expect(processes.report(100_000)).not.toContain('process guard');
  }, 900_000);
});
