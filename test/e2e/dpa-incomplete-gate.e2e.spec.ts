import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';
import { ALL_CLAUSES, postDpaForm, TINY_PDF } from '../support/registry';

interface Delivery {
  id: string;
  status: string;
  reason: string | null;
  flags: string[];
}

const day = (offset = 0) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/**
 * Issue 11: a DPA that claims to be signed counts only with its document, every Art. 28(3) clause and a
 * signature not dated ahead. An incomplete one does not open the gate: grants (personal data) are held,
 * withdrawals still go out flagged; attaching the missing document releases what was held.
 */
describe('the DPA gate with an incomplete DPA', () => {
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
    vendorId = (
      await json(
        await gw.api('/v1/vendors', { method: 'POST', json: { name: 'Paper Tiger', role: 'processor' } }),
      )
    ).id;
    const connection = await gw.api('/v1/connections', {
      method: 'POST',
      json: {
        type: 'webhook',
        name: 'paper',
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

  async function consent(status: 'granted' | 'withdrawn'): Promise<string> {
    sequence++;
    const res = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: `paper-${sequence}`,
        email: `person${sequence}@example.com`,
        phone: `+1631555${String(3000 + sequence).padStart(4, '0')}`,
        purpose: 'marketing',
        channel: 'whatsapp',
        status,
        captured_at: new Date().toISOString(),
      },
    });
    expect(res.status).toBe(200);
    return (await json(res)).subject_id;
  }

  const settled = (subjectId: string) =>
    eventually(async () => {
      const rows = await db.query<Delivery>(
        `SELECT id, status, reason, flags FROM delivery WHERE subject_id = $1`,
        [subjectId],
      );
      return rows.length === 1 && ['succeeded', 'skipped', 'dead'].includes(rows[0].status) ? rows[0] : null;
    }, 20_000);

  const receivedFor = (deliveryId: string) => processor.received.filter((r) => r.id === deliveryId);

  /** A grant is held (skipped dpa_missing, nothing sent); a withdrawal goes out flagged dpa_missing. */
  async function expectGateClosed() {
    const grant = await settled(await consent('granted'));
    expect(grant).toMatchObject({ status: 'skipped', reason: 'dpa_missing' });
    expect(receivedFor(grant.id)).toHaveLength(0);
    const withdrawal = await settled(await consent('withdrawn'));
    expect(withdrawal).toMatchObject({ status: 'succeeded', flags: ['dpa_missing'] });
    expect(receivedFor(withdrawal.id)).toHaveLength(1);
    return grant;
  }

  it('does not count the issue\'s DPA "signed" in 2030, without clauses or document, and lists what it lacks', async () => {
    const res = await gw.api(`/v1/vendors/${vendorId}/dpas`, {
      method: 'POST',
      json: { status: 'signed', signed_at: '2030-01-01' },
    });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({
      valid: false,
      effective_status: 'incomplete',
      incomplete: ['document', 'clauses', 'signed_in_future'],
    });
    expect(await json(await gw.api(`/v1/vendors/${vendorId}`))).toMatchObject({
      dpa_valid: false,
      dpa_status: 'incomplete',
    });
    await expectGateClosed();

    const attention = await json(await gw.api('/v1/registry/attention'));
    expect(attention.counts.dpas_incomplete).toBe(1);
    expect(attention.dpas_incomplete).toEqual([
      expect.objectContaining({
        vendor_id: vendorId,
        version: 1,
        incomplete: ['document', 'clauses', 'signed_in_future'],
        signed_at: '2030-01-01',
      }),
    ]);
    expect(attention.dpas_incomplete[0].clauses_missing).toHaveLength(8);
    expect(attention.vendors_without_valid_dpa).toEqual([
      expect.objectContaining({ vendor_id: vendorId, dpa_status: 'incomplete' }),
    ]);
    const listed = await json(await gw.api('/v1/vendors?dpa_status=incomplete'));
    expect(listed.vendors.map((v: { id: string }) => v.id)).toEqual([vendorId]);
  });

  it('holds grants under a version with its PDF and every clause but signed tomorrow', async () => {
    const res = await postDpaForm(
      gw,
      vendorId,
      { status: 'signed', signed_at: day(1), clauses: ALL_CLAUSES },
      {
        bytes: TINY_PDF,
      },
    );
    expect(await json(res)).toMatchObject({ version: 2, valid: false, incomplete: ['signed_in_future'] });
    await expectGateClosed();
  });

  it('holds grants under a version with its PDF and a past signature but one clause unticked', async () => {
    const res = await postDpaForm(
      gw,
      vendorId,
      { status: 'signed', signed_at: day(-1), clauses: { ...ALL_CLAUSES, audit_rights: false } },
      { bytes: TINY_PDF },
    );
    expect(await json(res)).toMatchObject({
      version: 3,
      valid: false,
      incomplete: ['clauses'],
      clauses_missing: ['audit_rights'],
    });
    await expectGateClosed();
  });

  it('holds grants under a version complete but for its document, and releases them once it is attached', async () => {
    const bare = await json(
      await gw.api(`/v1/vendors/${vendorId}/dpas`, {
        method: 'POST',
        json: { status: 'signed', signed_at: day(-1), clauses: ALL_CLAUSES },
      }),
    );
    expect(bare).toMatchObject({ version: 4, valid: false, incomplete: ['document'] });
    heldGrant = (await expectGateClosed()).id;

    const attached = await gw.api(`/v1/dpas/${bare.id}/document?name=signed.pdf`, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf' },
      body: TINY_PDF,
    });
    expect(attached.status).toBe(200);
    expect(await json(attached)).toMatchObject({ valid: true, effective_status: 'signed', incomplete: [] });
    await eventually(async () => {
      const [row] = await db.query<Delivery>(`SELECT status FROM delivery WHERE id = $1`, [heldGrant]);
      return row.status === 'succeeded';
    }, 20_000);
    expect(receivedFor(heldGrant)).toHaveLength(1);
    const attention = await json(await gw.api('/v1/registry/attention'));
    expect(attention.dpas_incomplete).toEqual([]);
  });
});
