import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';
import { createValidDpa } from '../support/registry';

interface Delivery {
  id: string;
  status: string;
  reason: string | null;
  flags: string[];
}

/** A calendar day (UTC) relative to today. */
const day = (offset = 0) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/**
 * Art. 28: personal data reaches a processor only under a signed, unexpired DPA. A grant is held while the
 * vendor has none and released when one arrives; a withdrawal always goes out, flagged for the DPO.
 */
describe('the DPA gate', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  let vendorId = '';
  let sequence = 0;
  let heldGrant = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    const processorUrl = await processor.start();
    const port = await freePort();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, { PORT: String(port), OUTBOUND_ALLOWLIST: '127.0.0.1:*' }),
    });
    const vendor = await gw.api('/v1/vendors', {
      method: 'POST',
      json: { name: 'Gated Mailer', role: 'processor' },
    });
    expect(vendor.status).toBe(201);
    vendorId = (await json(vendor)).id;
    const connection = await gw.api('/v1/connections', {
      method: 'POST',
      json: {
        type: 'webhook',
        name: 'gated',
        vendor_id: vendorId,
        credentials: { url: `${processorUrl}/hooks` },
      },
    });
    expect(connection.status).toBe(201);
    processor.useSecret((await json(connection)).signing_secret);
  });

  afterAll(async () => {
    await gw?.close();
    await processor.stop();
    await db?.drop();
  });

  /** A new person changes consent through the API; returns the person's id. */
  async function consent(status: 'granted' | 'withdrawn'): Promise<string> {
    sequence++;
    const res = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: `gate-${sequence}`,
        phone: `+1631555${String(2000 + sequence).padStart(4, '0')}`,
        purpose: 'marketing',
        channel: 'whatsapp',
        status,
        captured_at: new Date().toISOString(),
      },
    });
    expect(res.status).toBe(200);
    return (await json(res)).subject_id;
  }

  /** The person's one delivery, once it has ended. */
  const settled = (subjectId: string) =>
    eventually(async () => {
      const rows = await db.query<Delivery>(
        `SELECT id, status, reason, flags FROM delivery WHERE subject_id = $1`,
        [subjectId],
      );
      return rows.length === 1 && ['succeeded', 'skipped', 'dead'].includes(rows[0].status) ? rows[0] : null;
    }, 20_000);

  const receivedFor = (deliveryId: string) => processor.received.filter((r) => r.id === deliveryId);

  /** A version with its PDF and every Art. 28(3) clause, so that only its dates decide. */
  const addDpa = (body: Record<string, unknown>) => createValidDpa(gw, vendorId, body);

  it('holds a grant to a vendor without a DPA: skipped with reason dpa_missing, and the processor receives nothing', async () => {
    const subjectId = await consent('granted');
    const delivery = await settled(subjectId);
    expect(delivery).toMatchObject({ status: 'skipped', reason: 'dpa_missing' });
    expect(receivedFor(delivery.id)).toHaveLength(0);
    heldGrant = delivery.id;
  });

  it('sends a withdrawal to a vendor without a DPA, flagged dpa_missing', async () => {
    const delivery = await settled(await consent('withdrawn'));
    expect(delivery.status).toBe('succeeded');
    expect(delivery.flags).toEqual(['dpa_missing']);
    expect(receivedFor(delivery.id)).toHaveLength(1);
  });

  it('releases the held grant when a signed DPA arrives, and it is delivered', async () => {
    const dpa = await addDpa({
      status: 'signed',
      signed_at: day(-1),
      effective_from: day(-1),
      expires_at: day(365),
    });
    expect(dpa.valid).toBe(true);
    await eventually(async () => {
      const [row] = await db.query<Delivery>(`SELECT status FROM delivery WHERE id = $1`, [heldGrant]);
      return row.status === 'succeeded';
    });
    const [message] = receivedFor(heldGrant);
    expect((message.payload as { data: { states: { status: string }[] } }).data.states[0].status).toBe(
      'granted',
    );
    const [row] = await db.query<Delivery>(`SELECT flags FROM delivery WHERE id = $1`, [heldGrant]);
    expect(row.flags).toEqual([]);
  });

  it('delivers a grant while the DPA is valid, unflagged', async () => {
    const delivery = await settled(await consent('granted'));
    expect(delivery).toMatchObject({ status: 'succeeded', flags: [] });
    expect(receivedFor(delivery.id)).toHaveLength(1);
  });

  it('treats a DPA on its expiry day as expired (expires_at is the first day it is no longer in force)', async () => {
    const dpa = await addDpa({
      status: 'signed',
      signed_at: day(-30),
      effective_from: day(-30),
      expires_at: day(0),
    });
    expect(dpa).toMatchObject({ valid: false, effective_status: 'expired', version: 2 });
    const vendor = await json(await gw.api(`/v1/vendors/${vendorId}`));
    expect(vendor).toMatchObject({ dpa_valid: false, dpa_status: 'expired' });

    const delivery = await settled(await consent('granted'));
    expect(delivery).toMatchObject({ status: 'skipped', reason: 'dpa_missing' });
    expect(receivedFor(delivery.id)).toHaveLength(0);
    heldGrant = delivery.id;
  });

  it('holds grants after the DPA is terminated', async () => {
    const renewed = await addDpa({ status: 'signed', signed_at: day(0), expires_at: day(730) });
    await eventually(async () => {
      const [row] = await db.query<Delivery>(`SELECT status FROM delivery WHERE id = $1`, [heldGrant]);
      return row.status === 'succeeded';
    });
    const terminated = await gw.api(`/v1/dpas/${renewed.id}`, {
      method: 'PATCH',
      json: { status: 'terminated', reason: 'contract ended' },
    });
    expect(terminated.status).toBe(200);
    expect(await json(terminated)).toMatchObject({ status: 'terminated', valid: false });

    const grant = await settled(await consent('granted'));
    expect(grant).toMatchObject({ status: 'skipped', reason: 'dpa_missing' });
    expect(receivedFor(grant.id)).toHaveLength(0);
    const withdrawal = await settled(await consent('withdrawn'));
    expect(withdrawal).toMatchObject({ status: 'succeeded', flags: ['dpa_missing'] });
  });

  it('keeps every version in the history and reports the held delivery to the DPO', async () => {
    const history = await json(await gw.api(`/v1/vendors/${vendorId}/dpas`));
    expect(history.versions.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([
      [3, 'terminated'],
      [2, 'signed'],
      [1, 'signed'],
    ]);
    const attention = await json(await gw.api('/v1/registry/attention'));
    expect(attention.vendors_without_valid_dpa).toEqual([
      expect.objectContaining({ vendor_id: vendorId, dpa_status: 'terminated', held_deliveries: 1 }),
    ]);
  });
});
