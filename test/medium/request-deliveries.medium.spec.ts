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
import { ConnectorFactory, ConnectionLeases, RecordLinks } from '../../src/modules/connectors';
import { signStandardWebhook } from '../../src/modules/connectors/webhook/standard-webhooks';
import { LedgerService, SubjectErasureService, SubjectRestrictionService } from '../../src/modules/ledger';
import {
  type PlannedRequestDelivery,
  type PlanRequestInput,
  RequestDeliveries,
  type RequestDeliveryView,
  type RequestOperation,
  type SettledRequestDelivery,
} from '../../src/modules/propagation';
import { ConnectionDrain } from '../../src/modules/propagation/connection-drain';
import { DeliveryRepository } from '../../src/modules/propagation/delivery.repository';
import { OutcomeRecorder } from '../../src/modules/propagation/outcome-recorder';
import { ProcessorConfirmations } from '../../src/modules/propagation/processor-confirmations.service';
import { CryptoService } from '../../src/platform/crypto/crypto.service';
import { json, startTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** What the fake processor was asked, per connection and operation. */
interface Call {
  connectionId: string;
  operation: 'erase' | 'restrict' | 'rectify' | 'readPerson';
  items: (ErasurePush | RestrictionPush | RectificationPush | AccessPull)[];
}

const SECRET = `whsec_${Buffer.from('a-processor-signing-secret-32byt').toString('base64')}`;

/**
 * Data-subject request deliveries against PostgreSQL, with a fake connector swapped into the connector factory
 * (the DI singleton), so each processor's answer is the test's: one delivery per connection that may hold the
 * person (paused, disconnected and DPA-less ones too), the DPA gate, the current restriction, settle hooks in the
 * recording transaction, processor confirmations (signed callback, timeout) and records that came back.
 */
describe(RequestDeliveries.name, () => {
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
    await db.query(
      `INSERT INTO dpa (vendor_id, version, status, signed_at) VALUES ($1, 1, 'signed', current_date - 1)`,
      [covered],
    );
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
    acknowledgesOnly.clear();
  });

  it('plans one delivery per connection, paused, disconnected and DPA-less ones included, when an erasure is planned', async () => {
    const subjectId = await person();
    const requestId = randomUUID();
    const planned = await plan({ requestId, subjectId, operation: 'erasure' });
    expect(planned.map((p) => p.connectionName).sort()).toEqual([
      'active',
      'disconnected',
      'no dpa',
      'paused',
    ]);
    const views = await requests.forRequest(requestId);
    expect(views.map((v) => [v.status, v.operation, v.subjectId])).toEqual(
      Array(4).fill(['pending', 'erasure', subjectId]),
    );
    expect(views.find((v) => v.connectionId === connection.noDpa)?.vendorName).toBe('No DPA');
  });

  it('sends the erasure to paused and disconnected connections, and to a DPA-less one flagged dpa_missing', async () => {
    const subjectId = await person('erase-me@example.com');
    const requestId = randomUUID();
    await plan({ requestId, subjectId, operation: 'erasure' });
    for (const id of [connection.paused, connection.disconnected, connection.noDpa]) await drain(id);
    expect(calls.map((c) => [c.connectionId, c.operation])).toEqual([
      [connection.paused, 'erase'],
      [connection.disconnected, 'erase'],
      [connection.noDpa, 'erase'],
    ]);
    expect(calls[0].items[0]).toMatchObject({
      requestId,
      emails: ['erase-me@example.com'],
      mode: 'vendor_gdpr_delete',
    });
    expect(await deliveryOf(requestId, connection.noDpa)).toMatchObject({
      status: 'succeeded',
      flags: ['dpa_missing'],
    });
    expect(await deliveryOf(requestId, connection.paused)).toMatchObject({
      status: 'succeeded',
      evidence: { records_affected: 1 },
    });
  });

  it('holds a rectification where the vendor has no valid DPA, and sends the rectified values elsewhere', async () => {
    const subjectId = await person('new@example.com');
    const requestId = randomUUID();
    const rectification = {
      previous: { phones: [], emails: ['old@example.com'] },
      current: { phones: [], emails: ['new@example.com'] },
    };
    await plan({ requestId, subjectId, operation: 'rectification', rectification });
    await drain(connection.noDpa);
    await drain(connection.active);
    expect(await deliveryOf(requestId, connection.noDpa)).toMatchObject({
      status: 'skipped',
      reason: 'dpa_missing',
    });
    expect(calls).toEqual([
      {
        connectionId: connection.active,
        operation: 'rectify',
        items: [expect.objectContaining(rectification)],
      },
    ]);
  });

  it("pushes the person's current restriction, not the one the delivery was planned for", async () => {
    const subjectId = await person();
    const restriction = app.app.get(SubjectRestrictionService);
    await tx((m) => restriction.setRestricted(m, subjectId, true));
    const requestId = randomUUID();
    await plan({ requestId, subjectId, operation: 'restriction' });
    await tx((m) => restriction.setRestricted(m, subjectId, false));
    await drain(connection.active);
    expect(calls).toEqual([
      {
        connectionId: connection.active,
        operation: 'restrict',
        items: [expect.objectContaining({ restricted: false })],
      },
    ]);
  });

  it('runs the settle hooks once per delivery, in the transaction that records its outcome', async () => {
    const subjectId = await person();
    const requestId = randomUUID();
    await plan({ requestId, subjectId, operation: 'restriction' });
    await drain(connection.active);
    await drain(connection.active);
    expect(settled).toEqual([
      expect.objectContaining({
        requestId,
        subjectId,
        connectionId: connection.active,
        operation: 'restriction',
        status: 'succeeded',
        statusInTransaction: 'succeeded',
      }),
    ]);
  });

  it('records each outcome once when a worker that lost its lease reports after the delivery was taken back', async () => {
    const subjectId = await person();
    const requestId = randomUUID();
    await plan({ requestId, subjectId, operation: 'erasure' });
    const deliveries = app.app.get(DeliveryRepository);
    const stale = await deliveries.claim(connection.paused, 10, true);
    await drain(connection.paused);
    await app.app
      .get(OutcomeRecorder)
      .record({ id: connection.paused, name: 'paused' }, stale, [
        { deliveryId: stale[0].id, outcome: 'succeeded' },
      ]);
    expect(calls).toHaveLength(1);
    expect(settled.filter((s) => s.requestId === requestId)).toHaveLength(1);
    expect(await deliveryOf(requestId, connection.paused)).toMatchObject({ status: 'succeeded' });
  });

  describe('a processor that confirms by callback', () => {
    const acknowledged = async () => {
      acknowledgesOnly.add(connection.active);
      const subjectId = await person();
      const requestId = randomUUID();
      await plan({ requestId, subjectId, operation: 'erasure' });
      await drain(connection.active);
      return { requestId, delivery: await deliveryOf(requestId, connection.active) };
    };

    it('keeps the erasure awaiting confirmation, with the time its wait runs out, unsettled', async () => {
      const { delivery } = await acknowledged();
      expect(delivery.status).toBe('awaiting_confirmation');
      expect(delivery.confirmation_due_at).not.toBeNull();
      expect(settled).toEqual([]);
    });

    it('settles a confirmation past its wait as succeeded, flagged acknowledged_not_confirmed', async () => {
      const { requestId, delivery } = await acknowledged();
      await db.query(`UPDATE delivery SET confirmation_due_at = now() - interval '1 minute' WHERE id = $1`, [
        delivery.id,
      ]);
      expect(await app.app.get(ProcessorConfirmations).settleOverdue()).toBe(1);
      expect(await deliveryOf(requestId, connection.active)).toMatchObject({
        status: 'succeeded',
        flags: ['acknowledged_not_confirmed'],
      });
      expect(settled).toEqual([
        expect.objectContaining({
          deliveryId: delivery.id,
          status: 'succeeded',
          flags: ['acknowledged_not_confirmed'],
        }),
      ]);
    });

    it('records a signed confirmation as evidence and settles the erasure succeeded', async () => {
      const { requestId, delivery } = await acknowledged();
      const res = await confirmation(
        connection.active,
        { type: 'subject.erasure_completed', data: { delivery_id: delivery.id } },
        { id: 'msg_confirm_1' },
      );
      expect(res.status).toBe(202);
      expect(await json(res)).toEqual({ status: 'recorded', delivery_status: 'succeeded' });
      const after = await deliveryOf(requestId, connection.active);
      expect(after.status).toBe('succeeded');
      expect(after.evidence).toMatchObject({
        confirmation: 'completed',
        webhook_id: 'msg_confirm_1',
        confirmed_at: expect.any(String),
        signature_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(settled.map((s) => s.deliveryId)).toEqual([delivery.id]);
    });

    it('answers a replay of the same webhook-id as a duplicate, settling nothing again', async () => {
      const { delivery } = await acknowledged();
      const body = { type: 'subject.erasure_completed', data: { delivery_id: delivery.id } };
      await confirmation(connection.active, body, { id: 'msg_replayed' });
      const replay = await confirmation(connection.active, body, { id: 'msg_replayed' });
      expect(replay.status).toBe(202);
      expect(await json(replay)).toEqual({ status: 'duplicate', delivery_status: 'succeeded' });
      expect(settled).toHaveLength(1);
    });

    it('ends the erasure dead when the processor reports that it failed', async () => {
      const { requestId, delivery } = await acknowledged();
      await confirmation(connection.active, {
        type: 'subject.erasure_failed',
        data: { delivery_id: delivery.id, detail: 'record locked' },
      });
      expect(await deliveryOf(requestId, connection.active)).toMatchObject({
        status: 'dead',
        reason: 'processor_reported_failure',
      });
      expect(settled).toEqual([
        expect.objectContaining({ status: 'dead', reason: 'processor_reported_failure' }),
      ]);
    });

    it('settles an erasure at once when its confirmation arrived before the acknowledgement was recorded', async () => {
      const subjectId = await person();
      const requestId = randomUUID();
      await plan({ requestId, subjectId, operation: 'erasure' });
      const claimed = await app.app.get(DeliveryRepository).claim(connection.active, 10);
      const early = await confirmation(connection.active, {
        type: 'subject.erasure_completed',
        data: { delivery_id: claimed[0].id },
      });
      expect(await json(early)).toEqual({ status: 'recorded', delivery_status: 'in_progress' });
      expect(settled).toEqual([]);
      await app.app
        .get(OutcomeRecorder)
        .record({ id: connection.active, name: 'active' }, claimed, [
          { deliveryId: claimed[0].id, outcome: 'awaiting_confirmation' },
        ]);
      expect(await deliveryOf(requestId, connection.active)).toMatchObject({
        status: 'succeeded',
        evidence: { confirmation: 'completed' },
      });
      expect(settled.map((s) => s.deliveryId)).toEqual([claimed[0].id]);
    });

    it('answers 401 to a confirmation signed with another secret, changing nothing', async () => {
      const { requestId, delivery } = await acknowledged();
      const other = `whsec_${Buffer.from('another-secret-of-thirty-two-byt').toString('base64')}`;
      const res = await confirmation(
        connection.active,
        { type: 'subject.erasure_completed', data: { delivery_id: delivery.id } },
        { secret: other },
      );
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((await deliveryOf(requestId, connection.active)).status).toBe('awaiting_confirmation');
    });

    it('answers 404 to a confirmation naming a delivery of another connection', async () => {
      const subjectId = await person();
      const requestId = randomUUID();
      await plan({ requestId, subjectId, operation: 'erasure' });
      const elsewhere = await deliveryOf(requestId, connection.paused);
      const res = await confirmation(connection.active, {
        type: 'subject.erasure_completed',
        data: { delivery_id: elsewhere.id },
      });
      expect(res.status).toBe(404);
    });

    it('answers 400 naming the field when the body has no delivery id', async () => {
      const res = await confirmation(connection.active, { type: 'subject.erasure_completed', data: {} });
      expect(res.status).toBe(400);
      expect((await json(res)).errors).toEqual([{ field: 'data.delivery_id', message: 'must be a UUID' }]);
    });
  });

  it('lets two requests each keep their own open delivery at a connection', async () => {
    const subjectId = await person();
    const [first, second] = [randomUUID(), randomUUID()];
    const operation: RequestOperation = 'access_export';
    await plan({ requestId: first, subjectId, operation });
    await plan({ requestId: second, subjectId, operation });
    expect((await deliveryOf(first, connection.active)).status).toBe('pending');
    expect((await deliveryOf(second, connection.active)).status).toBe('pending');
  });

  it('keeps what an access request read sealed, and shows it when asked with data', async () => {
    const subjectId = await person();
    const requestId = randomUUID();
    await plan({ requestId, subjectId, operation: 'access_export' });
    await drain(connection.active);
    const stored = await deliveryOf(requestId, connection.active);
    expect(stored.payload_ciphertext?.toString('latin1')).not.toContain('held@example.com');
    const [view]: RequestDeliveryView[] = (await requests.forRequest(requestId, { withData: true })).filter(
      (v) => v.connectionId === connection.active,
    );
    expect(view.data).toEqual([
      { remoteId: 'crm-1', recordType: 'contact', fields: { email: 'held@example.com' } },
    ]);
  });

  it('clears the values deliveries carried when the person is forgotten, keeping the rows', async () => {
    const subjectId = await person('to-forget@example.com');
    const requestId = randomUUID();
    await plan({
      requestId,
      subjectId,
      operation: 'rectification',
      rectification: {
        previous: { phones: [], emails: ['x@example.com'] },
        current: { phones: [], emails: ['to-forget@example.com'] },
      },
    });
    expect((await deliveryOf(requestId, connection.active)).payload_ciphertext).not.toBeNull();
    await tx((m) => app.app.get(SubjectErasureService).forget(m, subjectId, requestId));
    expect(await deliveryOf(requestId, connection.active)).toMatchObject({
      status: 'pending',
      payload_ciphertext: null,
    });
  });

  it('sends the erasure again to records that came back, by their ids alone, and unlinks them once erased', async () => {
    const subjectId = await person();
    const links = app.app.get(RecordLinks);
    await links.link(undefined, connection.active, [
      { subjectId, remoteId: 'crm-came-back', recordType: 'contact', pushed: null },
    ]);
    await tx((m) =>
      links.recordsCameBack(m, connection.active, [
        { erasedSubjectId: subjectId, remoteId: 'crm-came-back', recordType: 'contact' },
      ]),
    );
    await drain(connection.active);
    expect(calls).toEqual([
      {
        connectionId: connection.active,
        operation: 'erase',
        items: [
          expect.objectContaining({ requestId: null, phones: [], emails: [], remoteIds: ['crm-came-back'] }),
        ],
      },
    ]);
    const delivery = await row<{ status: string; flags: string[]; payload_ciphertext: Buffer | null }>(
      `SELECT status, flags, payload_ciphertext FROM delivery WHERE subject_id = $1 AND request_id IS NULL`,
      [subjectId],
    );
    expect(delivery).toEqual({ status: 'succeeded', flags: ['record_came_back'], payload_ciphertext: null });
    expect((await links.remoteIds(connection.active, [subjectId])).get(subjectId)).toBeUndefined();
    expect(settled).toEqual([]);
  });
});
