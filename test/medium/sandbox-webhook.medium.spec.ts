// The gateway signs (its outbound sender); the simulator verifies with its own reading of the specification.
import { signStandardWebhook } from '../../src/modules/connectors/webhook/standard-webhooks';
import { verifyStandardWebhook, WebhookProcessorSimulator } from '../../sandbox/webhook-processor';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

let processor: WebhookProcessorSimulator;
let base: string;
let sequence = 0;

beforeAll(async () => {
  processor = new WebhookProcessorSimulator(SECRET);
  base = await processor.start();
});

afterAll(async () => {
  await processor.stop();
});

beforeEach(() => {
  processor.reset();
});

const now = () => Math.floor(Date.now() / 1000);

/** Delivers like the gateway will: JSON body, webhook-* headers signed with the shared signer. */
async function deliver(
  payload: unknown,
  overrides: {
    id?: string;
    timestamp?: number;
    signature?: string;
    secret?: string;
    signal?: AbortSignal;
  } = {},
): Promise<Response> {
  const id = overrides.id ?? `msg_${++sequence}`;
  const timestamp = overrides.timestamp ?? now();
  const body = JSON.stringify(payload);
  return fetch(`${base}/webhooks/consent`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature':
        overrides.signature ?? signStandardWebhook(overrides.secret ?? SECRET, id, timestamp, body),
    },
    body,
    signal: overrides.signal,
  });
}

const withdrawn = {
  type: 'consent.withdrawn',
  timestamp: '2026-01-01T12:00:00Z',
  data: { subject_id: 'sub_1', channel: 'whatsapp' },
};

describe('Standard Webhooks processor simulator', () => {
  it('the official test vector verifies with the shared pure functions', () => {
    const signature = signStandardWebhook(
      SECRET,
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': signature,
    };
    expect(
      verifyStandardWebhook(SECRET, headers, '{"test": 2432232314}', { nowSeconds: 1614265330 }).valid,
    ).toBe(true);
    // Outside its own time the vector is stale (±5 minutes).
    expect(verifyStandardWebhook(SECRET, headers, '{"test": 2432232314}')).toEqual({
      valid: false,
      reason: 'timestamp_too_old',
    });
  });

  it('accepts a signed delivery with 204, records it once, and answers a duplicate webhook-id with 200', async () => {
    const first = await deliver(withdrawn, { id: 'msg_dup' });
    expect(first.status).toBe(204);
    const again = await deliver(withdrawn, { id: 'msg_dup' });
    expect(again.status).toBe(200);
    expect(processor.received).toHaveLength(1);
    expect(processor.received[0]).toMatchObject({
      id: 'msg_dup',
      type: 'consent.withdrawn',
      payload: withdrawn,
      deliveries: 2,
      path: '/webhooks/consent',
    });
    expect(processor.attempts.map((a) => a.outcome)).toEqual(['accepted', 'duplicate']);
  });

  it('refuses a wrong signature or a stale/future timestamp with 401', async () => {
    const wrongKey = await deliver(withdrawn, {
      secret: 'whsec_' + Buffer.from('not the processor secret!').toString('base64'),
    });
    expect(wrongKey.status).toBe(401);
    expect(await wrongKey.json()).toEqual({ error: 'no_matching_signature' });
    const stale = await deliver(withdrawn, { timestamp: now() - 6 * 60 });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toEqual({ error: 'timestamp_too_old' });
    const future = await deliver(withdrawn, { timestamp: now() + 6 * 60 });
    expect(future.status).toBe(401);
    const unsigned = await fetch(`${base}/webhooks/consent`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(401);
    expect(processor.received).toHaveLength(0);
  });

  it('accepts a rotated signature list where one entry matches', async () => {
    const id = 'msg_rotated';
    const timestamp = now();
    const body = JSON.stringify(withdrawn);
    const oldKey = signStandardWebhook(
      'whsec_' + Buffer.from('an older secret of 24 b!').toString('base64'),
      id,
      timestamp,
      body,
    );
    const res = await deliver(withdrawn, {
      id,
      timestamp,
      signature: `${oldKey} ${signStandardWebhook(SECRET, id, timestamp, body)}`,
    });
    expect(res.status).toBe(204);
  });

  it('injects faults: 500, 429 with retry-after, 410, then recovers', async () => {
    processor.injectFault({ kind: '500' });
    processor.injectFault({ kind: '429', retryAfterSeconds: 7 });
    const faults = await fetch(`${base}/__admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: '410' }),
    });
    expect(faults.status).toBe(201);

    expect((await deliver(withdrawn, { id: 'msg_f' })).status).toBe(500);
    const throttled = await deliver(withdrawn, { id: 'msg_f' });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect((await deliver(withdrawn, { id: 'msg_f' })).status).toBe(410);
    expect((await deliver(withdrawn, { id: 'msg_f' })).status).toBe(204);
    expect(processor.received).toHaveLength(1);
    const state = (await (await fetch(`${base}/__admin/state`)).json()) as {
      attempts: Array<{ status: number }>;
    };
    expect(state.attempts.map((a) => a.status)).toEqual([500, 429, 410, 204]);
  });

  it('injects a timeout: the request hangs until the client gives up', async () => {
    processor.injectFault({ kind: 'timeout', hangMs: 5_000 });
    await expect(deliver(withdrawn, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect((await deliver(withdrawn)).status).toBe(204);
  });
});
