import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../src/platform/clock/clock';
import { LedgerService, SubjectRequestIntake } from '../../src/modules/ledger';
import { RequestDeliveries, type RequestDeliveryView } from '../../src/modules/propagation';
import { RequestAnnouncements } from '../../src/modules/requests/request-announcements';
import { RequestSweep } from '../../src/modules/requests/request-sweep';
import { RequestWorkflow } from '../../src/modules/requests/request-workflow';
import { RequestRepository } from '../../src/modules/requests/request.repository';
import { RequestService } from '../../src/modules/requests/request.service';
import { RequestActions } from '../../src/modules/requests/request-actions.service';
import { RequestsModule } from '../../src/modules/requests';
import { startTestContext } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

const DAY = 86_400_000;
let phoneCounter = 5000;
const newPhone = () => `+1650253${String(phoneCounter++).padStart(4, '0')}`;

/**
 * The request workflow against PostgreSQL: intake by verified channels (idempotent), the wait on processors and
 * its end (settlements, dead deliveries become manual tasks, forgetting the person), retention erasures, and the
 * sweep's once-only announcements and task reminders. Processors are played by the RequestDeliveries instance
 * (its plan and forRequest answer what each test sets); time by the requests module's Clock.
 */
describe(RequestWorkflow.name, () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let service: RequestService;
  let actions: RequestActions;
  let requests: RequestRepository;
  let sweep: RequestSweep;
  let intake: SubjectRequestIntake;
  let deliveries: RequestDeliveries;
  let workflow: RequestWorkflow;
  let now = Date.now();
  /** A webhook connection the fake deliveries go to (tasks name it). */
  let connectionId = '';
  const announced: { type: string; id: string; contact: unknown }[] = [];
  /** What RequestDeliveries answers per request in these tests. */
  const processors = new Map<string, RequestDeliveryView[]>();

  const row = async <T>(sql: string, params: unknown[] = []) => (await db.query<T>(sql, params))[0];
  const inTx = <T>(work: (m: EntityManager) => Promise<T>) => requests.inTransaction(work);
  const actionsOf = async (id: string) =>
    (
      await db.query<{ action: string }>(
        `SELECT action FROM request_event WHERE request_id = $1 ORDER BY seq`,
        [id],
      )
    ).map((r) => r.action);
  const statusOf = (id: string) =>
    row<{ status: string; status_reason: string | null }>(
      `SELECT status, status_reason FROM data_subject_request WHERE id = $1`,
      [id],
    );

  function delivery(
    requestId: string,
    subjectId: string,
    status: RequestDeliveryView['status'],
  ): RequestDeliveryView {
    return {
      id: randomUUID(),
      requestId,
      subjectId,
      connectionId,
      connectionName: 'crm',
      connectionType: 'webhook',
      vendorId: null,
      vendorName: null,
      operation: 'erasure',
      status,
      reason: null,
      attempts: 1,
      lastError: null,
      lastErrorClass: null,
      vendorReference: null,
      evidence: {},
      flags: [],
      createdAt: new Date(now),
      startedAt: null,
      completedAt: null,
      confirmationDueAt: null,
    };
  }

  /** A person the ledger knows, by a phone number (a marketing grant through the consent API's path). */
  async function person(): Promise<{ phone: string; subjectId: string }> {
    const phone = newPhone();
    const ledger = app.get(LedgerService);
    const result = await ledger.transaction((m) =>
      ledger.recordConsent(m, {
        source: 'api',
        sourceEventId: `seed-${randomUUID()}`,
        identities: [{ kind: 'phone', value: phone }],
        purpose: 'marketing',
        channel: 'whatsapp',
        scope: null,
        status: 'granted',
        method: 'api',
        actor: 'automation',
        capturedAt: new Date(now - DAY),
        receivedAt: new Date(now - DAY),
      }),
    );
    return { phone, subjectId: result.subjectId };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestContext(db.url);
    const vendor = await row<{ id: string }>(
      `INSERT INTO vendor (name) VALUES ('Processor Ltd') RETURNING id`,
    );
    connectionId = (
      await row<{ id: string }>(
        `INSERT INTO connection (vendor_id, type, name, credentials, key_id)
         VALUES ($1, 'webhook', 'processor', '\\x00', 'k') RETURNING id`,
        [vendor.id],
      )
    ).id;
    const module = app.select(RequestsModule);
    service = module.get(RequestService);
    actions = module.get(RequestActions);
    requests = module.get(RequestRepository);
    sweep = module.get(RequestSweep);
    workflow = module.get(RequestWorkflow);
    deliveries = app.get(RequestDeliveries);
    intake = app.get(SubjectRequestIntake);
    jest.spyOn(module.get(Clock), 'now').mockImplementation(() => now);
    jest.spyOn(module.get(RequestAnnouncements), 'announce').mockImplementation(async (_m, type, request) => {
      announced.push({ type, id: request.id, contact: request.contact });
    });
    jest.spyOn(deliveries, 'plan').mockImplementation(async (_m, input) => {
      const list = processors.get('next') ?? [];
      processors.delete('next');
      const planned = list.map((d) => ({ ...d, requestId: input.requestId, subjectId: input.subjectId }));
      processors.set(input.requestId, planned);
      return planned.map((d) => ({
        deliveryId: d.id,
        connectionId: d.connectionId,
        connectionName: d.connectionName,
        vendorId: d.vendorId,
      }));
    });
    jest.spyOn(deliveries, 'forRequest').mockImplementation(async (id) => processors.get(id) ?? []);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
    await db?.drop();
  });

  beforeEach(() => {
    now = Date.UTC(2026, 10, 2, 12);
    announced.length = 0;
  });

  describe('SubjectRequestIntake', () => {
    const incoming = (subjectId: string | null, dedupeKey: string) => ({
      type: 'access' as const,
      origin: 'hubspot_privacy_deletion' as const,
      dedupeKey,
      subjectId,
      identities: [],
      receivedAt: new Date(now),
      originConnectionId: null,
      originEvidence: { event_id: 1 },
    });

    it('records a request verified by its origin and starts it at once', async () => {
      const { subjectId } = await person();
      const { requestId } = await inTx((m) => intake.receive(m, incoming(subjectId, `hs:1:${randomUUID()}`)));
      const r = await row<Record<string, unknown>>(
        `SELECT status, origin, verification_method FROM data_subject_request WHERE id = $1`,
        [requestId],
      );
      expect(r).toEqual({
        status: 'completed',
        origin: 'hubspot_privacy_deletion',
        verification_method: 'origin:hubspot_privacy_deletion',
      });
    });

    it('is idempotent by the dedupe key: the same delivery twice is one request', async () => {
      const { subjectId } = await person();
      const key = `hs:1:${randomUUID()}`;
      const first = await inTx((m) => intake.receive(m, incoming(subjectId, key)));
      const second = await inTx((m) => intake.receive(m, incoming(subjectId, key)));
      expect(second.requestId).toBe(first.requestId);
      const n = await row<{ n: string }>(
        `SELECT count(*) AS n FROM data_subject_request WHERE subject_id = $1`,
        [subjectId],
      );
      expect(Number(n.n)).toBe(1);
    });

    it('keeps the dedupe key only as a blind index', async () => {
      const key = `salesforce:org:003XYZ${randomUUID()}`;
      const { requestId } = await inTx((m) => intake.receive(m, incoming(null, key)));
      const r = await row<{ dedupe_key_hash: Buffer }>(
        `SELECT dedupe_key_hash FROM data_subject_request WHERE id = $1`,
        [requestId],
      );
      expect(r.dedupe_key_hash.toString('utf8')).not.toContain('003XYZ');
    });

    it('records a request from an unknown CRM record as matching nobody', async () => {
      const { requestId } = await inTx((m) => intake.receive(m, incoming(null, `hs:1:${randomUUID()}`)));
      expect(await statusOf(requestId)).toEqual({ status: 'completed', status_reason: 'no_match' });
    });

    it('matches a WhatsApp sender by the number of their wa_id', async () => {
      const { phone, subjectId } = await person();
      const { requestId } = await inTx((m) =>
        intake.receive(m, {
          ...incoming(null, `whatsapp:${randomUUID()}:0`),
          origin: 'whatsapp',
          identities: [{ kind: 'wa_id', value: phone.slice(1) }],
        }),
      );
      const r = await row<{ subject_id: string }>(
        `SELECT subject_id FROM data_subject_request WHERE id = $1`,
        [requestId],
      );
      expect(r.subject_id).toBe(subjectId);
    });
  });

  describe('waiting on processors', () => {
    async function erasureWith(list: RequestDeliveryView['status'][]) {
      const { phone, subjectId } = await person();
      processors.set(
        'next',
        list.map((s) => delivery('', subjectId, s)),
      );
      const request = await inTx((m) =>
        service.create(m, {
          type: 'erasure',
          origin: 'api',
          source: null,
          target: { phone },
          receivedAt: new Date(now),
          verification: { method: 'known_channel', note: null, verifiedBy: 'test' },
          createdBy: 'test',
        }),
      );
      return { request, subjectId, phone, planned: processors.get(request.id)! };
    }

    const settle = (d: RequestDeliveryView, status: 'succeeded' | 'dead' | 'skipped') =>
      inTx(async (m) => {
        d.status = status;
        await workflow.onDeliverySettled(m, {
          deliveryId: d.id,
          requestId: d.requestId!,
          subjectId: d.subjectId,
          connectionId: d.connectionId,
          operation: 'erasure',
          status,
          reason: status === 'dead' ? 'permanent' : null,
          flags: [],
        });
      });

    it('waits while a delivery is open, and completes (forgetting the person) once all have settled', async () => {
      const { request, planned } = await erasureWith(['pending', 'pending']);
      expect(await statusOf(request.id)).toMatchObject({ status: 'waiting_on_processors' });
      await settle(planned[0], 'succeeded');
      expect(await statusOf(request.id)).toMatchObject({ status: 'waiting_on_processors' });
      await settle(planned[1], 'skipped');
      expect(await statusOf(request.id)).toEqual({
        status: 'completed',
        status_reason: 'processors_settled',
      });
      expect(await actionsOf(request.id)).toEqual(expect.arrayContaining(['forgotten', 'completed']));
      expect(announced.filter((a) => a.id === request.id).map((a) => a.type)).toEqual([
        'request.created',
        'request.completed',
      ]);
    });

    it('clears what identifies the person from the request once they are forgotten', async () => {
      const { request, planned, phone } = await erasureWith(['pending']);
      await settle(planned[0], 'succeeded');
      const r = await row<Record<string, unknown>>(
        `SELECT identifier_ciphertext, identifier_hash FROM data_subject_request WHERE id = $1`,
        [request.id],
      );
      expect(r).toEqual({ identifier_ciphertext: null, identifier_hash: null });
      expect(
        JSON.stringify(await db.query(`SELECT * FROM request_event WHERE request_id = $1`, [request.id])),
      ).not.toContain(phone.slice(2));
    });

    it('turns a dead erasure delivery into a manual task, and completes once the task is done', async () => {
      const { request, planned } = await erasureWith(['pending']);
      await settle(planned[0], 'dead');
      expect(await statusOf(request.id)).toMatchObject({ status: 'waiting_on_processors' });
      const task = await row<{ id: string; reason: string; delivery_id: string }>(
        `SELECT id, reason, delivery_id FROM request_task WHERE request_id = $1`,
        [request.id],
      );
      expect(task).toMatchObject({ reason: 'delivery_dead', delivery_id: planned[0].id });
      await actions.completeTask(
        request.id,
        task.id,
        { evidence: 'deleted by hand', reference: 'T-1' },
        'user:dpo',
      );
      expect(await statusOf(request.id)).toMatchObject({ status: 'completed' });
    });

    it('opens one task per dead delivery however often its settlement is heard', async () => {
      const { request, planned } = await erasureWith(['pending', 'pending']);
      await settle(planned[0], 'dead');
      await settle(planned[0], 'dead');
      const n = await row<{ n: string }>(`SELECT count(*) AS n FROM request_task WHERE request_id = $1`, [
        request.id,
      ]);
      expect(Number(n.n)).toBe(1);
    });

    it('is completed by the sweep when every delivery settled without the hook being heard', async () => {
      const { request, planned } = await erasureWith(['pending']);
      planned[0].status = 'succeeded';
      await sweep.sweep();
      expect(await statusOf(request.id)).toMatchObject({ status: 'completed' });
    });

    it('refuses to cancel or deny an erasure under way: processors may have erased already', async () => {
      const { request } = await erasureWith(['pending']);
      await expect(actions.cancel(request.id, 'person withdrew it', 'user:dpo')).rejects.toThrow(
        /cannot be denied or cancelled/,
      );
      await expect(actions.deny(request.id, 'excessive', 'user:dpo')).rejects.toThrow(
        /cannot be denied or cancelled/,
      );
      expect(await statusOf(request.id)).toMatchObject({ status: 'waiting_on_processors' });
    });
  });

  describe('the access export window', () => {
    it('keeps the CRM data of a completed access request for its export, and clears it after 30 days', async () => {
      const { phone, subjectId } = await person();
      processors.set('next', [{ ...delivery('', subjectId, 'pending'), operation: 'access_export' }]);
      const request = await inTx((m) =>
        service.create(m, {
          type: 'access',
          origin: 'api',
          source: null,
          target: { phone },
          receivedAt: new Date(now),
          verification: { method: 'known_channel', note: null, verifiedBy: 'test' },
          createdBy: 'test',
        }),
      );
      const [pull] = processors.get(request.id)!;
      pull.status = 'succeeded';
      await inTx((m) =>
        workflow.onDeliverySettled(m, {
          deliveryId: pull.id,
          requestId: request.id,
          subjectId,
          connectionId,
          operation: 'access_export',
          status: 'succeeded',
          reason: null,
          flags: [],
        }),
      );
      const cleared = jest.spyOn(deliveries, 'clearPayloads').mockResolvedValue();
      expect(await statusOf(request.id)).toMatchObject({ status: 'completed' });
      now += 29 * DAY;
      await sweep.sweep();
      expect(cleared).not.toHaveBeenCalledWith(expect.anything(), request.id);
      now += 2 * DAY;
      await sweep.sweep();
      expect(cleared).toHaveBeenCalledWith(expect.anything(), request.id);
      const r = await row<{ payloads_cleared_at: Date | null }>(
        `SELECT payloads_cleared_at FROM data_subject_request WHERE id = $1`,
        [request.id],
      );
      expect(r.payloads_cleared_at).not.toBeNull();
      cleared.mockRestore();
    });
  });

  describe('retention erasures', () => {
    it('erases an inactive person as a verified request of origin retention, saying why', async () => {
      const { subjectId } = await person();
      const lastActivity = new Date(now - 800 * DAY);
      const { requestId } = await inTx((m) => service.createRetentionErasure(m, subjectId, lastActivity));
      const r = await row<Record<string, unknown>>(
        `SELECT origin, status, verification_method FROM data_subject_request WHERE id = $1`,
        [requestId],
      );
      expect(r).toEqual({
        origin: 'retention',
        status: 'completed',
        verification_method: 'retention_policy',
      });
      const created = await row<{ detail: Record<string, unknown> }>(
        `SELECT detail FROM request_event WHERE request_id = $1 AND action = 'created'`,
        [requestId],
      );
      expect(created.detail).toMatchObject({
        reason: 'inactive',
        last_activity_at: lastActivity.toISOString(),
      });
    });

    it('makes one retention erasure per person however often the job runs', async () => {
      const { subjectId } = await person();
      const a = await inTx((m) => service.createRetentionErasure(m, subjectId, new Date(now - 900 * DAY)));
      const b = await inTx((m) => service.createRetentionErasure(m, subjectId, new Date(now - 900 * DAY)));
      expect(b.requestId).toBe(a.requestId);
    });
  });

  describe(RequestSweep.name, () => {
    async function waitingRequest(receivedAt: number) {
      const { phone } = await person();
      return inTx((m) =>
        service.create(m, {
          type: 'access',
          origin: 'api',
          source: null,
          target: { phone },
          receivedAt: new Date(receivedAt),
          verification: null,
          createdBy: 'test',
        }),
      );
    }

    it('announces a request as due soon once, and as overdue once', async () => {
      const request = await waitingRequest(now - 25 * DAY);
      await sweep.sweep();
      await sweep.sweep();
      expect(announced.filter((a) => a.id === request.id && a.type === 'request.due_soon')).toHaveLength(1);
      now += 10 * DAY;
      await sweep.sweep();
      await sweep.sweep();
      expect(announced.filter((a) => a.id === request.id && a.type === 'request.overdue')).toHaveLength(1);
      expect(await actionsOf(request.id)).toEqual(expect.arrayContaining(['due_soon', 'overdue']));
    });

    it('announces with the contact the request was made with', async () => {
      const request = await waitingRequest(now - 40 * DAY);
      await sweep.sweep();
      const overdue = announced.find((a) => a.id === request.id && a.type === 'request.overdue');
      expect(overdue?.contact).toEqual({ phone: expect.stringMatching(/^\+1650253/) });
    });

    it('does not announce a paused request', async () => {
      const request = await waitingRequest(now - 20 * DAY);
      await actions.pause(request.id, 'asked for ID', 'user:dpo');
      now += 20 * DAY;
      await sweep.sweep();
      const deadlines = announced.filter((a) => a.id === request.id && a.type !== 'request.created');
      expect(deadlines).toEqual([]);
    });

    it('reminds of an open manual task every reminder period, counting the reminders', async () => {
      const { request } = await (async () => {
        const { phone, subjectId } = await person();
        processors.set('next', [delivery('', subjectId, 'pending')]);
        const r = await inTx((m) =>
          service.create(m, {
            type: 'erasure',
            origin: 'api',
            source: null,
            target: { phone },
            receivedAt: new Date(now),
            verification: { method: 'known_channel', note: null, verifiedBy: 'test' },
            createdBy: 'test',
          }),
        );
        return { request: r };
      })();
      const planned = processors.get(request.id)!;
      planned[0].status = 'dead';
      await inTx((m) =>
        workflow.onDeliverySettled(m, {
          deliveryId: planned[0].id,
          requestId: request.id,
          subjectId: planned[0].subjectId,
          connectionId: planned[0].connectionId,
          operation: 'erasure',
          status: 'dead',
          reason: 'permanent',
          flags: [],
        }),
      );
      await sweep.sweep();
      const before = await row<{ reminders_sent: number }>(
        `SELECT reminders_sent FROM request_task WHERE request_id = $1`,
        [request.id],
      );
      expect(before.reminders_sent).toBe(0);
      now += 3 * DAY + 1;
      await sweep.sweep();
      await sweep.sweep();
      const after = await row<{ reminders_sent: number }>(
        `SELECT reminders_sent FROM request_task WHERE request_id = $1`,
        [request.id],
      );
      expect(after.reminders_sent).toBe(1);
      expect(announced.filter((a) => a.id === request.id && a.type === 'request.task_reminder')).toHaveLength(
        1,
      );
    });
  });
});
