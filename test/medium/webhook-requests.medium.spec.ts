import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectionContext, SubjectRef } from '../../src/modules/connectors/connector.port';
import { verifyStandardWebhook } from '../../src/modules/connectors/webhook/standard-webhooks';
import { WebhookConnector } from '../../src/modules/connectors/webhook/webhook.connector';
import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { sandboxOutbound } from '../support/outbound';

/**
 * The webhook connector's data-subject request events against the processor simulator, and the simulator's signed
 * confirmation callbacks, verified with the gateway's own Standard Webhooks verifier (the simulator signs with its
 * own implementation). The "gateway" receiving callbacks is a bare HTTP server here.
 */
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const CONNECTION_ID = randomUUID();

interface Callback {
  path: string;
  body: string;
  verified: boolean;
}

let processor: WebhookProcessorSimulator;
let processorUrl: string;
let gateway: Server;
let gatewayUrl: string;
const callbacks: Callback[] = [];
/** Statuses the fake gateway answers callbacks with, in turn (then 202). */
let answers: number[] = [];

beforeAll(async () => {
  processor = new WebhookProcessorSimulator(SECRET, {
    confirmationTiming: { autoDelayMs: 10, retryBaseMs: 20 },
  });
  processorUrl = await processor.start();
  gateway = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verified = verifyStandardWebhook(SECRET, req.headers, body).valid;
      callbacks.push({ path: req.url ?? '', body, verified });
      res.writeHead(answers.shift() ?? 202).end();
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await processor.stop();
  await new Promise((resolve) => gateway.close(resolve));
});

beforeEach(() => {
  processor.reset();
  callbacks.length = 0;
  answers = [];
});

function connector(): WebhookConnector {
  const context: ConnectionContext = {
    id: CONNECTION_ID,
    type: 'webhook',
    name: 'Processor',
    baseUrl: processorUrl,
    loginUrl: null,
    externalAccountId: null,
    mapping: {},
    erasureMode: 'vendor_gdpr_delete',
    credentials: { url: `${processorUrl}/webhooks/consent`, signingSecret: SECRET },
    phoneRegion: null,
  };
  const guard = sandboxOutbound();
  return new WebhookConnector(
    context,
    {
      onCredentials: async () => {},
      beforeRefresh: async () => {},
      pace: async () => {},
      oauthClient: null,
      publicBaseUrl: `${gatewayUrl}/`,
      outbound: sandboxOutbound(),
    },
    guard,
  );
}

const ref = (fields: Partial<SubjectRef> = {}): SubjectRef => ({
  deliveryId: randomUUID(),
  subjectId: randomUUID(),
  requestId: randomUUID(),
  phones: ['+4915112345678'],
  emails: ['ada@example.com'],
  remoteIds: [],
  ...fields,
});

const confirmPath = `/v1/processors/${CONNECTION_ID}/confirmations`;

async function until<T>(fn: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe(WebhookConnector.name, () => {
  describe('erase', () => {
    it('sends a signed subject.erasure_requested event with the identifiers and where to confirm, and awaits the confirmation', async () => {
      const item = { ...ref(), mode: 'vendor_gdpr_delete' as const };
      const [outcome] = await connector().erase([item]);

      expect(outcome).toEqual({
        deliveryId: item.deliveryId,
        outcome: 'awaiting_confirmation',
        vendorReference: `${item.deliveryId}_erasure`,
        evidence: {
          event_type: 'subject.erasure_requested',
          webhook_id: `${item.deliveryId}_erasure`,
          signed: true,
        },
      });
      expect(processor.received).toHaveLength(1);
      expect(processor.received[0]).toMatchObject({
        id: `${item.deliveryId}_erasure`,
        type: 'subject.erasure_requested',
        payload: {
          data: {
            delivery_id: item.deliveryId,
            request_id: item.requestId,
            subject_id: item.subjectId,
            identifiers: { phones: ['+4915112345678'], emails: ['ada@example.com'] },
            confirm_url: `${gatewayUrl}${confirmPath}`,
          },
        },
      });
    });

    it('is confirmed by a callback signed with the connection’s secret that the gateway’s verifier accepts', async () => {
      const item = { ...ref(), mode: 'vendor_gdpr_delete' as const };
      await connector().erase([item]);

      const [callback] = await until(() => callbacks.length > 0 && callbacks);
      expect(callback.path).toBe(confirmPath);
      expect(callback.verified).toBe(true);
      expect(JSON.parse(callback.body)).toEqual({
        type: 'subject.erasure_completed',
        data: { delivery_id: item.deliveryId },
      });
      await until(() => processor.erasures[0]?.status === 'confirmed');
      expect(processor.erasures[0].identifiers).toEqual({
        phones: ['+4915112345678'],
        emails: ['ada@example.com'],
      });
    });

    it('dedupes a redelivery of the same erasure by its webhook-id: one erasure, one confirmation', async () => {
      const item = { ...ref(), mode: 'vendor_gdpr_delete' as const };
      await connector().erase([item]);
      await connector().erase([item]);

      expect(processor.received[0].deliveries).toBe(2);
      await until(() => processor.erasures[0]?.status === 'confirmed');
      expect(processor.erasures).toHaveLength(1);
      expect(callbacks).toHaveLength(1);
    });

    it('retries a confirmation the gateway does not accept yet', async () => {
      answers = [404];
      await connector().erase([{ ...ref(), mode: 'vendor_gdpr_delete' }]);
      await until(() => processor.erasures[0]?.status === 'confirmed');
      expect(processor.erasures[0].callbacks.map((c) => c.status)).toEqual([404, 202]);
    });

    it('waits for the admin in manual mode, who can confirm one or report it failed with a detail', async () => {
      processor.setConfirmations('manual');
      const done = { ...ref(), mode: 'vendor_gdpr_delete' as const };
      const failed = { ...ref(), mode: 'vendor_gdpr_delete' as const };
      await connector().erase([done, failed]);
      await new Promise((r) => setTimeout(r, 50));
      expect(callbacks).toEqual([]);

      const res = await fetch(`${processorUrl}/__admin/erasures/${failed.deliveryId}/fail`, {
        method: 'POST',
        body: JSON.stringify({ detail: 'record locked by legal hold' }),
      });
      expect(res.status).toBe(200);
      expect(await processor.settleErasure(done.deliveryId, 'completed')).toBe(true);
      expect(callbacks.map((c) => JSON.parse(c.body) as unknown)).toEqual([
        {
          type: 'subject.erasure_failed',
          data: { delivery_id: failed.deliveryId, detail: 'record locked by legal hold' },
        },
        { type: 'subject.erasure_completed', data: { delivery_id: done.deliveryId } },
      ]);
      expect(callbacks.every((c) => c.verified)).toBe(true);
    });

    it('never calls back in never mode', async () => {
      await fetch(`${processorUrl}/__admin/confirmations`, {
        method: 'POST',
        body: JSON.stringify({ mode: 'never' }),
      });
      await connector().erase([{ ...ref(), mode: 'vendor_gdpr_delete' }]);
      await new Promise((r) => setTimeout(r, 100));
      expect(processor.erasures).toHaveLength(1);
      expect(callbacks).toEqual([]);
    });
  });

  describe('restrict', () => {
    it('sends subject.restricted, and subject.restriction_lifted when lifted', async () => {
      const set = ref();
      const lifted = ref({ subjectId: set.subjectId });
      const outcomes = await connector().restrict([
        { ...set, restricted: true, states: [] },
        { ...lifted, restricted: false, states: [] },
      ]);
      expect(outcomes.map((o) => o.outcome)).toEqual(['succeeded', 'succeeded']);
      const byId = new Map(processor.received.map((r) => [r.id, r]));
      expect(byId.get(`${set.deliveryId}_restriction`)?.type).toBe('subject.restricted');
      expect(byId.get(`${lifted.deliveryId}_restriction`)).toMatchObject({
        type: 'subject.restriction_lifted',
        payload: { data: { subject_id: set.subjectId, identifiers: { phones: ['+4915112345678'] } } },
      });
    });
  });

  describe('rectify', () => {
    it('sends subject.rectified with the previous and the current identifiers', async () => {
      const item = {
        ...ref(),
        previous: { phones: ['+4915112345678'], emails: [] },
        current: { phones: ['+4915187654321'], emails: [] },
      };
      const [outcome] = await connector().rectify([item]);
      expect(outcome.outcome).toBe('succeeded');
      expect(processor.received[0]).toMatchObject({
        type: 'subject.rectified',
        payload: {
          data: {
            delivery_id: item.deliveryId,
            previous: { phones: ['+4915112345678'], emails: [] },
            current: { phones: ['+4915187654321'], emails: [] },
          },
        },
      });
    });
  });

  describe('readPerson', () => {
    it('skips with no_read_api and sends nothing', async () => {
      const item = ref();
      expect(await connector().readPerson([item])).toEqual([
        { deliveryId: item.deliveryId, outcome: 'skipped', reason: 'no_read_api' },
      ]);
      expect(processor.attempts).toEqual([]);
    });
  });

  it('fails only the item the processor refuses, the others are delivered', async () => {
    processor.injectFault({ kind: '410' });
    const outcomes = await connector().restrict([
      { ...ref(), restricted: true, states: [] },
      { ...ref(), restricted: true, states: [] },
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['failed', 'succeeded']);
    expect(processor.received).toHaveLength(1);
  });
});
