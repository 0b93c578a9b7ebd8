import { insertValidDpa } from './registry';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type {
  AccessPull,
  Connector,
  ErasurePush,
  RectificationPush,
  RequestOutcome,
  RestrictionPush,
} from '../../src/modules/connectors/connector.port';
import { ConnectorFactory, ConnectionLeases } from '../../src/modules/connectors';
import { signStandardWebhook } from '../../src/modules/connectors/webhook/standard-webhooks';
import { LedgerService } from '../../src/modules/ledger';
import {
  type PlannedRequestDelivery,
  type PlanRequestInput,
  RequestDeliveries,
  type SettledRequestDelivery,
} from '../../src/modules/propagation';
import { ConnectionDrain } from '../../src/modules/propagation/connection-drain';
import { CryptoService } from '../../src/platform/crypto/crypto.service';
import { startTestApp, type TestApp } from './app';
import { createTestDatabase, type TestDatabase } from './database';

/** What the fake processor was asked, per connection and operation. */
interface Call {
  connectionId: string;
  operation: 'erase' | 'restrict' | 'rectify' | 'readPerson';
  items: (ErasurePush | RestrictionPush | RectificationPush | AccessPull)[];
}

const SECRET = `whsec_${Buffer.from('a-processor-signing-secret-32byt').toString('base64')}`;

/**
 * A gateway (API, no worker) over its own database with four webhook connections (active, paused, disconnected,
 * and one whose vendor has no DPA) and a fake connector swapped into the connector factory (the DI singleton), so
 * each processor's answer is the test's. Registers the file's hooks; every test starts with nothing left to send.
 */
export function requestDeliveriesFixture() {
  /** How many settle hooks still fail (a recording that cannot commit, as under a deadlock). */
  const failing = { settles: 0 };
  let db: TestDatabase;
  let app: TestApp;
  let data: DataSource;
  let requests: RequestDeliveries;
  const calls: Call[] = [];
  const settled: (SettledRequestDelivery & { statusInTransaction: string })[] = [];
  /** Per connection: erasures the processor only acknowledges (a webhook processor). */
  const acknowledgesOnly = new Set<string>();
  const connection: Record<'active' | 'paused' | 'disconnected' | 'noDpa', string> = {
    active: '',
    paused: '',
    disconnected: '',
    noDpa: '',
  };

  const row = async <T>(sql: string, params: unknown[] = []) => (await db.query<T>(sql, params))[0];
  const tx = <T>(work: (m: EntityManager) => Promise<T>) => data.transaction(work);
  const person = (email = `p-${randomUUID()}@example.com`) =>
    tx((m) => app.app.get(LedgerService).resolveSubject(m, [{ kind: 'email', value: email }]));
  const plan = (input: PlanRequestInput): Promise<PlannedRequestDelivery[]> =>
    tx((m) => requests.plan(m, input));
  const drain = async (connectionId: string) => {
    const owner = `test-${randomUUID()}`;
    await app.app.get(ConnectionLeases).acquire(connectionId, owner, 60);
    await app.app.get(ConnectionDrain).drain(connectionId, owner, () => false);
    await app.app.get(ConnectionLeases).release(connectionId, owner);
  };
  const deliveryOf = (requestId: string, connectionId: string) =>
    row<{
      id: string;
      status: string;
      reason: string | null;
      flags: string[];
      evidence: Record<string, unknown>;
      confirmation_due_at: Date | null;
      payload_ciphertext: Buffer | null;
    }>(`SELECT * FROM delivery WHERE request_id = $1 AND connection_id = $2`, [requestId, connectionId]);

  const fakeConnector = (connectionId: string): Connector => {
    const answer = (
      operation: Call['operation'],
      items: Call['items'],
      outcome: (i: Call['items'][number]) => RequestOutcome,
    ) => {
      calls.push({ connectionId, operation, items });
      return Promise.resolve(items.map(outcome));
    };
    const succeeded = (i: { deliveryId: string }): RequestOutcome => ({
      deliveryId: i.deliveryId,
      outcome: 'succeeded',
      evidence: { records_affected: 1 },
    });
    return {
      ensureSetup: () => Promise.resolve({}),
      pushConsent: () => Promise.resolve([]),
      test: () => Promise.resolve({ ok: true, detail: 'fake' }),
      listContacts: () => Promise.resolve({ contacts: [], next: null }),
      erase: (items) =>
        answer('erase', items, (i) =>
          acknowledgesOnly.has(connectionId)
            ? {
                deliveryId: i.deliveryId,
                outcome: 'awaiting_confirmation',
                evidence: { event: 'subject.erasure_requested' },
              }
            : succeeded(i),
        ),
      restrict: (items) => answer('restrict', items, succeeded),
      rectify: (items) => answer('rectify', items, succeeded),
      readPerson: (items) =>
        answer('readPerson', items, (i) => ({
          deliveryId: i.deliveryId,
          outcome: 'succeeded',
          data: [{ remoteId: 'crm-1', recordType: 'contact', fields: { email: 'held@example.com' } }],
        })),
    };
  };

  const confirmation = (
    connectionId: string,
    body: unknown,
    options: { id?: string; secret?: string } = {},
  ) => {
    const raw = JSON.stringify(body);
    const id = options.id ?? `msg_${randomUUID()}`;
    const timestamp = Math.floor(Date.now() / 1000);
    return app.api(`/v1/processors/${connectionId}/confirmations`, {
      method: 'POST',
      key: null,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signStandardWebhook(options.secret ?? SECRET, id, timestamp, raw),
      },
      body: raw,
    });
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp({ databaseUrl: db.url, roles: { api: true, worker: false } });
    data = app.app.get(DataSource);
    requests = app.app.get(RequestDeliveries);
    const covered = (await row<{ id: string }>(`INSERT INTO vendor (name) VALUES ('Covered') RETURNING id`))
      .id;
    await insertValidDpa((sql, params) => db.query(sql, params), covered);
    const uncovered = (await row<{ id: string }>(`INSERT INTO vendor (name) VALUES ('No DPA') RETURNING id`))
      .id;
    const sealed = app.app
      .get(CryptoService)
      .seal(JSON.stringify({ signingSecret: SECRET, url: 'https://processor.test/hook' }));
    const add = async (name: string, vendorId: string, status: string) =>
      (
        await row<{ id: string }>(
          `INSERT INTO connection (vendor_id, type, name, credentials, key_id, status)
           VALUES ($1, 'webhook', $2, $3, $4, $5) RETURNING id`,
          [vendorId, name, sealed.ciphertext, sealed.keyId, status],
        )
      ).id;
    connection.active = await add('active', covered, 'active');
    connection.paused = await add('paused', covered, 'paused');
    connection.disconnected = await add('disconnected', covered, 'disconnected');
    connection.noDpa = await add('no dpa', uncovered, 'active');
    jest
      .spyOn(app.app.get(ConnectorFactory), 'create')
      .mockImplementation((context) => fakeConnector(context.id));
    requests.onSettled(async (manager, s) => {
      if (failing.settles > 0) {
        failing.settles--;
        throw new Error('deadlock detected (a test hook standing in for a concurrent transaction)');
      }
      const [current]: { status: string }[] = await manager.query(
        `SELECT status FROM delivery WHERE id = $1`,
        [s.deliveryId],
      );
      settled.push({ ...s, statusInTransaction: current.status });
    });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    // Each test starts with nothing left to send from the ones before it.
    await db.query(
      `UPDATE delivery SET status = 'skipped', reason = 'test_reset'
        WHERE status IN ('pending','retrying','in_progress','awaiting_confirmation')`,
    );
    calls.length = 0;
    settled.length = 0;
    failing.settles = 0;
    acknowledgesOnly.clear();
  });

  return {
    get app() {
      return app;
    },
    get db() {
      return db;
    },
    get requests() {
      return requests;
    },
    calls,
    settled,
    failing,
    acknowledgesOnly,
    connection,
    row,
    tx,
    person,
    plan,
    drain,
    deliveryOf,
    confirmation,
  };
}
