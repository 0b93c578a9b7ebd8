import { randomUUID } from 'node:crypto';
import { DeliveryRepository } from '../../src/modules/propagation/delivery.repository';
import { OutcomeRecorder } from '../../src/modules/propagation/outcome-recorder';
import { ProcessorConfirmations } from '../../src/modules/propagation/processor-confirmations.service';
import { json } from '../support/app';
import { requestDeliveriesFixture } from '../support/request-deliveries';

/**
 * A webhook processor acknowledges an erasure and confirms it by a signed callback
 * (POST /v1/processors/{connectionId}/confirmations), or the wait runs out: acknowledged, not confirmed.
 */
describe(ProcessorConfirmations.name, () => {
  const f = requestDeliveriesFixture();

  const acknowledged = async () => {
    f.acknowledgesOnly.add(f.connection.active);
    const subjectId = await f.person();
    const requestId = randomUUID();
    await f.plan({ requestId, subjectId, operation: 'erasure' });
    await f.drain(f.connection.active);
    return { requestId, delivery: await f.deliveryOf(requestId, f.connection.active) };
  };

  it('keeps the erasure awaiting confirmation, with the time its wait runs out, unsettled', async () => {
    const { delivery } = await acknowledged();
    expect(delivery.status).toBe('awaiting_confirmation');
    expect(delivery.confirmation_due_at).not.toBeNull();
    expect(f.settled).toEqual([]);
  });

  it('settles a confirmation past its wait as succeeded, flagged acknowledged_not_confirmed', async () => {
    const { requestId, delivery } = await acknowledged();
    await f.db.query(`UPDATE delivery SET confirmation_due_at = now() - interval '1 minute' WHERE id = $1`, [
      delivery.id,
    ]);
    expect(await f.app.app.get(ProcessorConfirmations).settleOverdue()).toBe(1);
    expect(await f.deliveryOf(requestId, f.connection.active)).toMatchObject({
      status: 'succeeded',
      flags: ['acknowledged_not_confirmed'],
    });
    expect(f.settled).toEqual([
      expect.objectContaining({
        deliveryId: delivery.id,
        status: 'succeeded',
        flags: ['acknowledged_not_confirmed'],
      }),
    ]);
  });

  it('records a signed confirmation as evidence and settles the erasure succeeded', async () => {
    const { requestId, delivery } = await acknowledged();
    const res = await f.confirmation(
      f.connection.active,
      { type: 'subject.erasure_completed', data: { delivery_id: delivery.id } },
      { id: 'msg_confirm_1' },
    );
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual({ status: 'recorded', delivery_status: 'succeeded' });
    const after = await f.deliveryOf(requestId, f.connection.active);
    expect(after.status).toBe('succeeded');
    expect(after.evidence).toMatchObject({
      confirmation: 'completed',
      webhook_id: 'msg_confirm_1',
      confirmed_at: expect.any(String),
      signature_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(f.settled.map((s) => s.deliveryId)).toEqual([delivery.id]);
  });

  it('answers a replay of the same webhook-id as a duplicate, settling nothing again', async () => {
    const { delivery } = await acknowledged();
    const body = { type: 'subject.erasure_completed', data: { delivery_id: delivery.id } };
    await f.confirmation(f.connection.active, body, { id: 'msg_replayed' });
    const replay = await f.confirmation(f.connection.active, body, { id: 'msg_replayed' });
    expect(replay.status).toBe(202);
    expect(await json(replay)).toEqual({ status: 'duplicate', delivery_status: 'succeeded' });
    expect(f.settled).toHaveLength(1);
  });

  it('ends the erasure dead when the processor reports that it failed', async () => {
    const { requestId, delivery } = await acknowledged();
    await f.confirmation(f.connection.active, {
      type: 'subject.erasure_failed',
      data: { delivery_id: delivery.id, detail: 'record locked' },
    });
    expect(await f.deliveryOf(requestId, f.connection.active)).toMatchObject({
      status: 'dead',
      reason: 'processor_reported_failure',
    });
    expect(f.settled).toEqual([
      expect.objectContaining({ status: 'dead', reason: 'processor_reported_failure' }),
    ]);
  });

  it("stores the processor's failure detail without the phone or email it quotes", async () => {
    const { requestId, delivery } = await acknowledged();
    await f.confirmation(f.connection.active, {
      type: 'subject.erasure_failed',
      data: {
        delivery_id: delivery.id,
        detail: 'subject +44 20 7946 0958 / ann@example.org is on legal hold',
      },
    });
    const row = (await f.deliveryOf(requestId, f.connection.active)) as { last_error?: string };
    expect(row.last_error).toBe('subject [phone] / [email] is on legal hold');
  });

  it('settles an erasure at once when its confirmation arrived before the acknowledgement was recorded', async () => {
    const subjectId = await f.person();
    const requestId = randomUUID();
    await f.plan({ requestId, subjectId, operation: 'erasure' });
    const claimed = await f.app.app.get(DeliveryRepository).claim(f.connection.active, 10);
    const early = await f.confirmation(f.connection.active, {
      type: 'subject.erasure_completed',
      data: { delivery_id: claimed[0].id },
    });
    expect(await json(early)).toEqual({ status: 'recorded', delivery_status: 'in_progress' });
    expect(f.settled).toEqual([]);
    await f.app.app
      .get(OutcomeRecorder)
      .record({ id: f.connection.active, name: 'active' }, claimed, [
        { deliveryId: claimed[0].id, outcome: 'awaiting_confirmation' },
      ]);
    expect(await f.deliveryOf(requestId, f.connection.active)).toMatchObject({
      status: 'succeeded',
      evidence: { confirmation: 'completed' },
    });
    expect(f.settled.map((s) => s.deliveryId)).toEqual([claimed[0].id]);
  });

  it('answers 401 to a confirmation signed with another secret, changing nothing', async () => {
    const { requestId, delivery } = await acknowledged();
    const other = `whsec_${Buffer.from('another-secret-of-thirty-two-byt').toString('base64')}`;
    const res = await f.confirmation(
      f.connection.active,
      { type: 'subject.erasure_completed', data: { delivery_id: delivery.id } },
      { secret: other },
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await f.deliveryOf(requestId, f.connection.active)).status).toBe('awaiting_confirmation');
  });

  it('answers 404 to a confirmation naming a delivery of another connection', async () => {
    const subjectId = await f.person();
    const requestId = randomUUID();
    await f.plan({ requestId, subjectId, operation: 'erasure' });
    const elsewhere = await f.deliveryOf(requestId, f.connection.paused);
    const res = await f.confirmation(f.connection.active, {
      type: 'subject.erasure_completed',
      data: { delivery_id: elsewhere.id },
    });
    expect(res.status).toBe(404);
  });

  it('answers 400 naming the field when the body has no delivery id', async () => {
    const res = await f.confirmation(f.connection.active, { type: 'subject.erasure_completed', data: {} });
    expect(res.status).toBe(400);
    expect((await json(res)).errors).toEqual([{ field: 'data.delivery_id', message: 'must be a UUID' }]);
  });
});
