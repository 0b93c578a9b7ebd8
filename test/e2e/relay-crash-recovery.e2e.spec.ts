import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/app-config';
import { signWhatsAppBody } from '../../src/modules/whatsapp/whatsapp-signature';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, TEST_API_KEY } from '../support/app';
import { GatewayProcesses } from '../support/gateway-processes';
import { deliveryIdOf, RelayTarget } from '../support/relay-target';
import { messageEventId, textWebhook } from '../support/whatsapp';

const ROOT = join(__dirname, '../..');
const APP_SECRET = 'test-app-secret';
const SENDERS = Array.from({ length: 10 }, (_, i) => `49151123470${String(i).padStart(2, '0')}`);
const ROUNDS = 20;

/** A status webhook as Meta sends one per sent/delivered/read message of a campaign. */
function statusWebhook(recipient: string, wamid: string, status: string): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
              statuses: [{ id: wamid, status, timestamp: '1795000000', recipient_id: recipient }],
            },
          },
        ],
      },
    ],
  });
}

/**
 * The gateway as production runs it (API and worker in one process, built from dist/), killed with SIGKILL in the
 * middle of a campaign-like stream while the relay is sending, then restarted: every delivery the gateway
 * acknowledged reaches the integration at least once, a repeat carries the same delivery id and the redelivery
 * marker, and the STOPs are in the ledger.
 */
describe('a gateway killed mid-stream while relaying', () => {
  let db: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let base: string;
  // Slow answers: the kill lands while requests to the integration are in flight.
  const target = new RelayTarget(APP_SECRET, 150);
  const processes = new GatewayProcesses(() => env);

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
      { cwd: ROOT, stdio: 'ignore' },
    );
    db = await createTestDatabase();
    await target.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      DATABASE_URL: db.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'cg-relay-crash-')),
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'test-verify-token',
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      BOOTSTRAP_API_KEY: TEST_API_KEY,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_ENABLED: 'false',
      WHATSAPP_FORWARD_URLS: target.url,
      OUTBOUND_ALLOWLIST: `127.0.0.1:${target.port}`,
      RELAY_TIMEOUT_MS: '1000',
      RELAY_BASE_DELAY_MS: '50',
      RELAY_MAX_DELAY_SECONDS: '1',
    };
  }, 300_000);

  afterAll(async () => {
    processes.killAll();
    await target.stop();
    await db?.drop();
  });

  const start = async () => {
    const child = processes.spawn('main.js');
    await eventually(async () => (await fetch(`${base}/health`)).ok, 60_000);
    return child;
  };

  /** Posts as Meta does; returns the body when the gateway acknowledged it (200), null otherwise. */
  const post = async (body: string): Promise<string | null> => {
    try {
      const res = await fetch(`${base}/webhooks/whatsapp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signWhatsAppBody(APP_SECRET, body),
        },
        body,
      });
      return res.status === 200 ? body : null;
    } catch {
      return null;
    }
  };

  it('delivers everything acknowledged at least once, repeats marked, STOPs in the ledger', async () => {
    let gateway = await start();
    const acknowledged: string[] = [];
    const stops: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [s, recipient] of SENDERS.entries()) {
        const wamid = `wamid.K${round}.${s}`;
        const stop = round === ROUNDS / 2 && s % 3 === 0;
        const body = stop
          ? textWebhook({ wamid, from: recipient, body: 'STOP', timestamp: 1795000000 + round })
          : statusWebhook(recipient, wamid, round % 2 ? 'delivered' : 'sent');
        const ok = await post(body);
        if (ok) {
          acknowledged.push(ok);
          if (stop) stops.push(wamid);
        }
      }
      if (round === 5) {
        // Mid-stream and mid-send: the integration has started receiving.
        await eventually(async () => target.received.length >= 20, 60_000);
        gateway.kill('SIGKILL');
        await new Promise((resolve) => gateway.once('exit', resolve));
        gateway = await start();
      }
    }
    expect(acknowledged.length).toBeGreaterThan(SENDERS.length * (ROUNDS - 2));

    const wanted = new Set(acknowledged.map((b) => deliveryIdOf(b)));
    const arrived = () =>
      new Set(target.accepted.map((r) => String(r.headers['x-consent-gateway-delivery'])));
    await eventually(async () => [...wanted].every((id) => arrived().has(id)), 120_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${processes.report()}`);
      },
    );

    expect(target.received.every((r) => r.signatureValid)).toBe(true);
    const byId = new Map<string, string[]>();
    for (const r of target.received) {
      const id = String(r.headers['x-consent-gateway-delivery']);
      expect(id).toBe(deliveryIdOf(r.body));
      byId.set(id, [...(byId.get(id) ?? []), String(r.headers['x-consent-gateway-redelivery'])]);
    }
    for (const markers of byId.values()) {
      // Every repeat of a delivery after its first arrival says it may be one.
      for (const marker of markers.slice(1)) expect(marker).toBe('true');
    }

    const config = loadConfig(env);
    const events = await db.query<{ status: string }>(
      `SELECT status FROM consent_event WHERE source_event_id = ANY($1)`,
      [stops.map((w) => messageEventId(config, w))],
    );
    expect(stops.length).toBeGreaterThan(0);
    expect(events.map((e) => e.status)).toEqual(stops.map(() => 'withdrawn'));
  }, 400_000);
});
