import { randomUUID } from 'node:crypto';
import { RecordLinks } from '../../src/modules/connectors';
import { SubjectErasureService, SubjectRestrictionService } from '../../src/modules/ledger';
import {
  RequestDeliveries,
  type RequestDeliveryView,
  type RequestOperation,
} from '../../src/modules/propagation';
import { DeliveryRepository } from '../../src/modules/propagation/delivery.repository';
import { OutcomeRecorder } from '../../src/modules/propagation/outcome-recorder';
import { requestDeliveriesFixture } from '../support/request-deliveries';

/**
 * Data-subject request deliveries against PostgreSQL, through a fake connector: one delivery per connection that
 * may hold the person (paused, disconnected and DPA-less ones too), the DPA gate, the current restriction, settle
 * hooks in the recording transaction (once per delivery), sealed access data, forgotten payloads and records that
 * came back after an erasure.
 */
describe(RequestDeliveries.name, () => {
  const f = requestDeliveriesFixture();

  it('plans one delivery per connection, paused, disconnected and DPA-less ones included, when an erasure is planned', async () => {
    const subjectId = await f.person();
    const requestId = randomUUID();
    const planned = await f.plan({ requestId, subjectId, operation: 'erasure' });
    expect(planned.map((p) => p.connectionName).sort()).toEqual([
      'active',
      'disconnected',
      'no dpa',
      'paused',
    ]);
    const views = await f.requests.forRequest(requestId);
    expect(views.map((v) => [v.status, v.operation, v.subjectId])).toEqual(
      Array(4).fill(['pending', 'erasure', subjectId]),
    );
    expect(views.find((v) => v.connectionId === f.connection.noDpa)?.vendorName).toBe('No DPA');
  });

  it('sends the erasure to paused and disconnected connections, and to a DPA-less one flagged dpa_missing', async () => {
    const subjectId = await f.person('erase-me@example.com');
    const requestId = randomUUID();
    await f.plan({ requestId, subjectId, operation: 'erasure' });
    for (const id of [f.connection.paused, f.connection.disconnected, f.connection.noDpa]) await f.drain(id);
    expect(f.calls.map((c) => [c.connectionId, c.operation])).toEqual([
      [f.connection.paused, 'erase'],
      [f.connection.disconnected, 'erase'],
      [f.connection.noDpa, 'erase'],
    ]);
    expect(f.calls[0].items[0]).toMatchObject({
      requestId,
      emails: ['erase-me@example.com'],
      mode: 'vendor_gdpr_delete',
    });
    expect(await f.deliveryOf(requestId, f.connection.noDpa)).toMatchObject({
      status: 'succeeded',
      flags: ['dpa_missing'],
    });
    expect(await f.deliveryOf(requestId, f.connection.paused)).toMatchObject({
      status: 'succeeded',
      evidence: { records_affected: 1 },
    });
  });

  it('holds a rectification where the vendor has no valid DPA, and sends the rectified values elsewhere', async () => {
    const subjectId = await f.person('new@example.com');
    const requestId = randomUUID();
    const rectification = {
      previous: { phones: [], emails: ['old@example.com'] },
      current: { phones: [], emails: ['new@example.com'] },
    };
    await f.plan({ requestId, subjectId, operation: 'rectification', rectification });
    await f.drain(f.connection.noDpa);
    await f.drain(f.connection.active);
    expect(await f.deliveryOf(requestId, f.connection.noDpa)).toMatchObject({
      status: 'skipped',
      reason: 'dpa_missing',
    });
    expect(f.calls).toEqual([
      {
        connectionId: f.connection.active,
        operation: 'rectify',
        items: [expect.objectContaining(rectification)],
      },
    ]);
  });

  it("pushes the person's current restriction, not the one the delivery was planned for", async () => {
    const subjectId = await f.person();
    const restriction = f.app.app.get(SubjectRestrictionService);
    await f.tx((m) => restriction.setRestricted(m, subjectId, true));
    const requestId = randomUUID();
    await f.plan({ requestId, subjectId, operation: 'restriction' });
    await f.tx((m) => restriction.setRestricted(m, subjectId, false));
    await f.drain(f.connection.active);
    expect(f.calls).toEqual([
      {
        connectionId: f.connection.active,
        operation: 'restrict',
        items: [expect.objectContaining({ restricted: false })],
      },
    ]);
  });

  it('runs the settle hooks once per delivery, in the transaction that records its outcome', async () => {
    const subjectId = await f.person();
    const requestId = randomUUID();
    await f.plan({ requestId, subjectId, operation: 'restriction' });
    await f.drain(f.connection.active);
    await f.drain(f.connection.active);
    expect(f.settled).toEqual([
      expect.objectContaining({
        requestId,
        subjectId,
        connectionId: f.connection.active,
        operation: 'restriction',
        status: 'succeeded',
        statusInTransaction: 'succeeded',
      }),
    ]);
  });

  it('sends a batch again when its outcome could not be recorded, instead of leaving it in progress', async () => {
    const subjectId = await f.person();
    const requestId = randomUUID();
    const [planned] = await f.plan({ requestId, subjectId, operation: 'restriction' });
    f.failing.settles = 1;
    await f.drain(f.connection.active);
    expect(await f.row(`SELECT status FROM delivery WHERE id = $1`, [planned.deliveryId])).toEqual({
      status: 'retrying',
    });
    await f.db.query(`UPDATE delivery SET next_attempt_at = now() WHERE id = $1`, [planned.deliveryId]);
    await f.drain(f.connection.active);
    expect(await f.row(`SELECT status FROM delivery WHERE id = $1`, [planned.deliveryId])).toEqual({
      status: 'succeeded',
    });
    expect(f.settled).toEqual([
      expect.objectContaining({ deliveryId: planned.deliveryId, status: 'succeeded' }),
    ]);
  });

  it('records each outcome once when a worker that lost its lease reports after the delivery was taken back', async () => {
    const subjectId = await f.person();
    const requestId = randomUUID();
    await f.plan({ requestId, subjectId, operation: 'erasure' });
    const deliveries = f.app.app.get(DeliveryRepository);
    const stale = await deliveries.claim(f.connection.paused, 10, true);
    await f.drain(f.connection.paused);
    await f.app.app
      .get(OutcomeRecorder)
      .record({ id: f.connection.paused, name: 'paused' }, stale, [
        { deliveryId: stale[0].id, outcome: 'succeeded' },
      ]);
    expect(f.calls).toHaveLength(1);
    expect(f.settled.filter((s) => s.requestId === requestId)).toHaveLength(1);
    expect(await f.deliveryOf(requestId, f.connection.paused)).toMatchObject({ status: 'succeeded' });
  });

  it('lets two requests each keep their own open delivery at a connection', async () => {
    const subjectId = await f.person();
    const [first, second] = [randomUUID(), randomUUID()];
    const operation: RequestOperation = 'access_export';
    await f.plan({ requestId: first, subjectId, operation });
    await f.plan({ requestId: second, subjectId, operation });
    expect((await f.deliveryOf(first, f.connection.active)).status).toBe('pending');
    expect((await f.deliveryOf(second, f.connection.active)).status).toBe('pending');
  });

  it('keeps what an access request read sealed, and shows it when asked with data', async () => {
    const subjectId = await f.person();
    const requestId = randomUUID();
    await f.plan({ requestId, subjectId, operation: 'access_export' });
    await f.drain(f.connection.active);
    const stored = await f.deliveryOf(requestId, f.connection.active);
    expect(stored.payload_ciphertext?.toString('latin1')).not.toContain('held@example.com');
    const [view]: RequestDeliveryView[] = (await f.requests.forRequest(requestId, { withData: true })).filter(
      (v) => v.connectionId === f.connection.active,
    );
    expect(view.data).toEqual([
      { remoteId: 'crm-1', recordType: 'contact', fields: { email: 'held@example.com' } },
    ]);
  });

  it('clears the values deliveries carried when the person is forgotten, keeping the rows', async () => {
    const subjectId = await f.person('to-forget@example.com');
    const requestId = randomUUID();
    await f.plan({
      requestId,
      subjectId,
      operation: 'rectification',
      rectification: {
        previous: { phones: [], emails: ['x@example.com'] },
        current: { phones: [], emails: ['to-forget@example.com'] },
      },
    });
    expect((await f.deliveryOf(requestId, f.connection.active)).payload_ciphertext).not.toBeNull();
    await f.tx((m) => f.app.app.get(SubjectErasureService).forget(m, subjectId, requestId));
    expect(await f.deliveryOf(requestId, f.connection.active)).toMatchObject({
      status: 'pending',
      payload_ciphertext: null,
    });
  });

  it('sends the erasure again to records that came back, by their ids alone, and unlinks them once erased', async () => {
    const subjectId = await f.person();
    const links = f.app.app.get(RecordLinks);
    await links.link(undefined, f.connection.active, [
      { subjectId, remoteId: 'crm-came-back', recordType: 'contact', pushed: null },
    ]);
    await f.tx((m) =>
      links.recordsCameBack(m, f.connection.active, [
        { erasedSubjectId: subjectId, remoteId: 'crm-came-back', recordType: 'contact' },
      ]),
    );
    await f.drain(f.connection.active);
    expect(f.calls).toEqual([
      {
        connectionId: f.connection.active,
        operation: 'erase',
        items: [
          expect.objectContaining({ requestId: null, phones: [], emails: [], remoteIds: ['crm-came-back'] }),
        ],
      },
    ]);
    const delivery = await f.row<{ status: string; flags: string[]; payload_ciphertext: Buffer | null }>(
      `SELECT status, flags, payload_ciphertext FROM delivery WHERE subject_id = $1 AND request_id IS NULL`,
      [subjectId],
    );
    expect(delivery).toEqual({ status: 'succeeded', flags: ['record_came_back'], payload_ciphertext: null });
    expect((await links.remoteIds(f.connection.active, [subjectId])).get(subjectId)).toBeUndefined();
    expect(f.settled).toEqual([]);
  });
});
