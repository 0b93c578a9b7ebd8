import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { DataSource } from 'typeorm';
import { SubjectErasureService } from '../../src/modules/ledger';
import { verifyStandardWebhook } from '../../src/modules/connectors/webhook/standard-webhooks';
import { RequestEvents } from '../../src/modules/requests/event-announcer';
import type { Scope } from '../../src/platform/http/scopes';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, json, startTestApp, testConfig, type TestApp } from '../support/app';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** An automation platform's endpoint: records what it receives and answers the statuses it is told to. */
class Receiver {
  private server!: Server;
  readonly received: Received[] = [];
  /** Statuses to answer, in order; when empty, 200. */
  answers: number[] = [];
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = this.answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/hooks`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** What arrived for one outbox event (its webhook-id). */
  of(eventId: string): Received[] {
    return this.received.filter((r) => r.headers['webhook-id'] === eventId);
  }
}

interface OutboxRow {
  id: string;
  status: string;
  attempts: number;
  sealed_contact: Buffer | null;
  payload: unknown;
  request_id: string;
}

/** Signed request events for automation platforms: subscriptions, the outbox, delivery and its retries. */
describe('event subscriptions', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const receiver = new Receiver();

  beforeAll(async () => {
    db = await createTestDatabase();
    await receiver.start();
    // The receiver is on loopback: allow-listed as the sandbox simulators are. Retries 50 ms apart.
    const config = testConfig(db.url, { OUTBOUND_ALLOWLIST: '127.0.0.1:*', RETRY_BASE_DELAY_MS: '50' });
    gw = await startTestApp({ databaseUrl: db.url, config });
  });

  afterAll(async () => {
    await gw?.close();
    await receiver.stop();
    await db?.drop();
  });

  async function subscribe(events: string[] = ['request.created', 'request.completed']) {
    const res = await gw.api('/v1/event-subscriptions', {
      method: 'POST',
      json: { url: receiver.url, events },
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; url: string; events: string[]; secret: string };
  }

  async function unsubscribe(id: string): Promise<void> {
    expect((await gw.api(`/v1/event-subscriptions/${id}`, { method: 'DELETE' })).status).toBe(200);
  }

  /** Announces in a transaction of its own, as the requests module does in its. */
  async function announce(
    type: 'request.created' | 'request.due_soon' | 'request.completed',
    request: { subject_id?: string | null; contact?: { phone?: string; email?: string } } = {},
  ): Promise<string> {
    const id = randomUUID();
    await gw.app.get(DataSource).transaction((manager) =>
      gw.app.get(RequestEvents).announce(manager, type, {
        id,
        type: 'erasure',
        status: 'in_progress',
        due_at: '2027-01-06T08:00:00.000Z',
        subject_id: request.subject_id ?? null,
        contact: request.contact,
      }),
    );
    return id;
  }

  const outboxOf = (requestId: string) =>
    db.query<OutboxRow>(`SELECT * FROM event_outbox WHERE request_id = $1`, [requestId]);

  async function keyWith(...scopes: Scope[]): Promise<string> {
    const res = await gw.api('/v1/api-keys', { method: 'POST', json: { name: scopes.join(','), scopes } });
    return ((await res.json()) as { key: string }).key;
  }

  describe('POST /v1/event-subscriptions', () => {
    it('answers 201 with a whsec_ secret, shown once and stored sealed', async () => {
      const created = await subscribe(['request.overdue']);
      expect(created).toEqual({
        id: expect.any(String),
        url: receiver.url,
        events: ['request.overdue'],
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
        created_at: expect.any(String),
        disabled_at: null,
      });
      const listed = await json(await gw.api('/v1/event-subscriptions'));
      expect(listed.items).toContainEqual(expect.objectContaining({ id: created.id }));
      expect(JSON.stringify(listed)).not.toContain('secret');
      const [row] = await db.query<{ secret: Buffer }>(
        `SELECT secret FROM event_subscription WHERE id = $1`,
        [created.id],
      );
      expect(row.secret.toString('latin1')).not.toContain(created.secret.slice(6));
      await unsubscribe(created.id);
    });

    it.each([
      [{ url: 'http://hooks.example.com/x', events: ['request.created'] }, 'url'],
      [{ url: 'https://10.1.2.3/hooks', events: ['request.created'] }, 'url'],
      [{ url: 'not a url', events: ['request.created'] }, 'url'],
      [{ url: 'https://hooks.example.com/x', events: ['request.deleted'] }, 'events'],
      [{ url: 'https://hooks.example.com/x', events: [] }, 'events'],
      [{ events: ['request.created'] }, 'url'],
    ])('refuses %j with a problem naming %s, storing nothing', async (body, field) => {
      const before = await db.query(`SELECT id FROM event_subscription`);
      const res = await gw.api('/v1/event-subscriptions', { method: 'POST', json: body });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const problem = (await res.json()) as { errors: { field: string }[] };
      expect(problem.errors.map((e) => e.field)).toContain(field);
      expect(await db.query(`SELECT id FROM event_subscription`)).toHaveLength(before.length);
    });

    it('refuses a key without requests:write (403) and lists only with requests:read', async () => {
      const reader = await keyWith('requests:read');
      const body = { url: receiver.url, events: ['request.created'] };
      expect(
        (await gw.api('/v1/event-subscriptions', { method: 'POST', json: body, key: reader })).status,
      ).toBe(403);
      expect((await gw.api('/v1/event-subscriptions', { key: reader })).status).toBe(200);
      expect((await gw.api('/v1/event-subscriptions', { key: await keyWith('consent:read') })).status).toBe(
        403,
      );
    });
  });

  describe('delivery', () => {
    it('sends an announced event signed by Standard Webhooks, verifiable with the subscription secret', async () => {
      const subscription = await subscribe();
      const requestId = await announce('request.created');
      const [row] = await outboxOf(requestId);
      const [message] = await eventually(async () =>
        receiver.of(row.id).length ? receiver.of(row.id) : null,
      );
      expect(verifyStandardWebhook(subscription.secret, message.headers, message.body)).toEqual({
        valid: true,
        id: row.id,
        timestamp: expect.any(Number),
      });
      expect(
        verifyStandardWebhook(
          `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
          message.headers,
          message.body,
        ),
      ).toEqual({ valid: false, reason: 'no_matching_signature' });
      expect(JSON.parse(message.body)).toEqual({
        type: 'request.created',
        timestamp: expect.any(String),
        data: {
          request_id: requestId,
          type: 'erasure',
          status: 'in_progress',
          due_at: '2027-01-06T08:00:00.000Z',
          subject_id: null,
        },
      });
      await unsubscribe(subscription.id);
    });

    it('announces a request filed through POST /v1/requests as request.created', async () => {
      const subscription = await subscribe(['request.created']);
      const res = await gw.api('/v1/requests', {
        method: 'POST',
        json: { type: 'access', phone: '+16502530199' },
      });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const [row] = await eventually(async () => {
        const rows = await outboxOf(id);
        return rows[0]?.status === 'delivered' ? rows : null;
      });
      const [message] = receiver.of(row.id);
      expect(JSON.parse(message.body)).toEqual(
        expect.objectContaining({
          type: 'request.created',
          data: expect.objectContaining({ request_id: id, type: 'access' }),
        }),
      );
      await unsubscribe(subscription.id);
    });

    it('writes no event for a type nobody subscribed to', async () => {
      const subscription = await subscribe(['request.completed']);
      const requestId = await announce('request.due_soon');
      expect(await outboxOf(requestId)).toEqual([]);
      await unsubscribe(subscription.id);
    });

    it('retries after a 500 with the same webhook-id until the receiver accepts it', async () => {
      const subscription = await subscribe();
      receiver.answers = [500, 503];
      const requestId = await announce('request.completed');
      const [row] = await outboxOf(requestId);
      await eventually(async () => (await outboxOf(requestId))[0]?.status === 'delivered');
      expect(receiver.of(row.id)).toHaveLength(3);
      const [delivered] = await outboxOf(requestId);
      expect(delivered.attempts).toBe(3);
      const log = await json(await gw.api(`/v1/event-subscriptions/${subscription.id}/deliveries`));
      expect(log.items).toContainEqual(
        expect.objectContaining({
          id: row.id,
          status: 'delivered',
          attempts: 3,
          last_status: 200,
          last_error: null,
        }),
      );
      await unsubscribe(subscription.id);
    });

    it('carries the contact sealed until delivery, then removes it from the outbox', async () => {
      const subscription = await subscribe();
      receiver.answers = [500];
      const contact = { phone: '+4915112345678', email: 'ana@example.com' };
      const requestId = await announce('request.created', { contact });
      const [pending] = await outboxOf(requestId);
      expect(pending.sealed_contact).not.toBeNull();
      expect(Buffer.from(pending.sealed_contact!).toString('latin1')).not.toContain('ana@example.com');
      expect(JSON.stringify(pending.payload)).not.toContain('4915112345678');
      await eventually(async () => (await outboxOf(requestId))[0]?.status === 'delivered');
      const bodies = receiver
        .of(pending.id)
        .map((m) => JSON.parse(m.body) as { data: { contact?: unknown } });
      expect(bodies.map((b) => b.data.contact)).toEqual([contact, contact]);
      const [delivered] = await outboxOf(requestId);
      expect(delivered.sealed_contact).toBeNull();
      await unsubscribe(subscription.id);
    });

    it('gives up at once on 410 Gone, keeping the log and dropping the contact', async () => {
      const subscription = await subscribe();
      receiver.answers = [410];
      const requestId = await announce('request.created', { contact: { email: 'gone@example.com' } });
      await eventually(async () => (await outboxOf(requestId))[0]?.status === 'failed');
      const [failed] = await outboxOf(requestId);
      expect(failed.sealed_contact).toBeNull();
      expect(failed.attempts).toBe(1);
      await unsubscribe(subscription.id);
    });
  });

  describe('DELETE /v1/event-subscriptions/:id', () => {
    it('stops events to the subscription and answers 404 the second time', async () => {
      const subscription = await subscribe();
      await unsubscribe(subscription.id);
      const requestId = await announce('request.created');
      expect(await outboxOf(requestId)).toEqual([]);
      const again = await gw.api(`/v1/event-subscriptions/${subscription.id}`, { method: 'DELETE' });
      expect(again.status).toBe(404);
      const listed = await json(await gw.api('/v1/event-subscriptions'));
      expect(listed.items.map((s: { id: string }) => s.id)).not.toContain(subscription.id);
    });
  });

  describe('a forgotten person', () => {
    it('leaves no contact in any event, even one not yet delivered', async () => {
      const created = await gw.api('/v1/consent-events', {
        method: 'POST',
        json: {
          event_id: `evt-${randomUUID()}`,
          phone: '+16502530101',
          purpose: 'marketing',
          channel: 'whatsapp',
          status: 'withdrawn',
          captured_at: new Date().toISOString(),
        },
      });
      const subjectId = ((await created.json()) as { subject_id: string }).subject_id;
      const subscription = await subscribe();
      receiver.answers = [500, 500, 500, 500, 500, 500];
      const requestId = await announce('request.created', {
        subject_id: subjectId,
        contact: { phone: '+16502530101' },
      });
      expect((await outboxOf(requestId))[0].sealed_contact).not.toBeNull();
      const erasure = gw.app.get(SubjectErasureService);
      await gw.app.get(DataSource).transaction(async (manager) => {
        await erasure.markErasureRequested(manager, subjectId);
        await erasure.forget(manager, subjectId, null);
      });
      const [row] = await outboxOf(requestId);
      expect(row.sealed_contact).toBeNull();
      receiver.answers = [];
      await unsubscribe(subscription.id);
    });
  });
});
