import { createHash } from 'node:crypto';
import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';
import { ALL_CLAUSES, createValidDpa } from '../support/registry';

const day = (offset = 0) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const PDF = 'application/pdf';
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

interface Problem {
  status: number;
  code: string;
  errors?: { field: string; message: string }[];
}

/** The vendor and DPA registry, the Art. 30 record, the exports and what needs the DPO's attention. */
describe('the registry', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  let processorUrl = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    processorUrl = await processor.start();
    const port = await freePort();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, { PORT: String(port), OUTBOUND_ALLOWLIST: '127.0.0.1:*' }),
    });
  });

  afterAll(async () => {
    await gw?.close();
    await processor.stop();
    await db?.drop();
  });

  const post = (path: string, body: unknown) => gw.api(path, { method: 'POST', json: body });
  const patch = (path: string, body: unknown) => gw.api(path, { method: 'PATCH', json: body });

  async function vendor(body: Record<string, unknown>) {
    const res = await post('/v1/vendors', body);
    expect(res.status).toBe(201);
    return json(res);
  }

  async function dpa(vendorId: string, body: Record<string, unknown>) {
    const res = await post(`/v1/vendors/${vendorId}/dpas`, body);
    expect(res.status).toBe(201);
    return json(res);
  }

  /** A complete signed version (every clause, with its PDF) in the one-step form; `body` overrides. */
  const signedDpa = (vendorId: string, body: Record<string, unknown> = {}) =>
    createValidDpa(gw, vendorId, { signed_at: day(-1), ...body });

  /** A 400 (or other 4xx) problem naming the field. */
  async function refused(res: Response, status: number, field: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = (await res.json()) as Problem;
    expect(problem.errors?.map((e) => e.field)).toContain(field);
    return problem;
  }

  const upload = (dpaId: string, body: Buffer | string, contentType: string) =>
    gw.api(`/v1/dpas/${dpaId}/document?name=acme-dpa.pdf`, {
      method: 'PUT',
      headers: { 'content-type': contentType },
      body,
    });

  describe('vendors', () => {
    it('records a vendor with its facts and reads them back', async () => {
      const created = await vendor({
        name: 'Acme Mailing',
        legal_name: 'Acme Mailing GmbH',
        country: 'DE',
        website: 'https://acme.example',
        privacy_contact_email: 'privacy@acme.example',
        role: 'processor',
        services: ['newsletters'],
        data_categories: ['contact details', 'consent status'],
        data_subject_categories: ['customers'],
        purposes: ['marketing'],
        transfers: [{ country: 'US', mechanism: 'sccs', sccs_module: 3, notes: 'support tooling' }],
        risk_tier: 'medium',
        owner: 'Marketing ops',
        next_review_at: day(120),
      });
      expect(created).toMatchObject({
        name: 'Acme Mailing',
        country: 'DE',
        role: 'processor',
        transfers: [{ country: 'US', mechanism: 'sccs', sccs_module: 3, notes: 'support tooling' }],
        next_review_at: day(120),
        dpa: null,
        dpa_status: 'none',
        dpa_valid: false,
        dpa_history: [],
        sub_processors: [],
        connections: [],
      });
      expect(await json(await gw.api(`/v1/vendors/${created.id}`))).toMatchObject({
        legal_name: 'Acme Mailing GmbH',
      });
    });

    it('refuses a bad country, an unknown field and a bad enum, naming the field', async () => {
      await refused(await post('/v1/vendors', { name: 'Bad country', country: 'XX' }), 400, 'country');
      await refused(await post('/v1/vendors', { name: 'Unknown', colour: 'red' }), 400, 'colour');
      await refused(await post('/v1/vendors', { name: 'Bad role', role: 'overlord' }), 400, 'role');
      await refused(await post('/v1/vendors', { name: 'Bad tier', risk_tier: 'extreme' }), 400, 'risk_tier');
      await refused(
        await post('/v1/vendors', {
          name: 'Bad transfer',
          transfers: [{ country: 'US', mechanism: 'sccs' }],
        }),
        400,
        'transfers.0.sccs_module',
      );
      await refused(
        await post('/v1/vendors', {
          name: 'Bad module',
          transfers: [{ country: 'US', mechanism: 'bcrs', sccs_module: 2 }],
        }),
        400,
        'transfers.0.sccs_module',
      );
      await refused(
        await post('/v1/vendors', { name: 'Bad date', next_review_at: '31/12/2025' }),
        400,
        'next_review_at',
      );
    });

    it('refuses a second vendor of the same name with 409', async () => {
      await vendor({ name: 'Twice' });
      await refused(await post('/v1/vendors', { name: 'Twice' }), 409, 'name');
    });

    it('patches a vendor, clearing a field with null but never its name', async () => {
      const v = await vendor({ name: 'Patchable', owner: 'Alice', services: ['crm'] });
      const res = await patch(`/v1/vendors/${v.id}`, {
        owner: null,
        risk_tier: 'high',
        services: ['crm', 'sms'],
      });
      expect(res.status).toBe(200);
      expect(await json(res)).toMatchObject({
        owner: null,
        risk_tier: 'high',
        services: ['crm', 'sms'],
        name: 'Patchable',
      });
      await refused(await patch(`/v1/vendors/${v.id}`, { name: null }), 400, 'name');
      await refused(await patch(`/v1/vendors/${v.id}`, { country: 'germany' }), 400, 'country');
      expect((await gw.api(`/v1/vendors/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
      await refused(await gw.api('/v1/vendors/not-a-uuid'), 400, 'id');
    });

    it('filters by role, risk tier, DPA status, connections and a search', async () => {
      const a = await vendor({ name: 'Filter Alpha', role: 'controller', risk_tier: 'low' });
      const b = await vendor({ name: 'Filter Beta', role: 'controller', risk_tier: 'high' });
      await dpa(b.id, { status: 'not_required' });
      const names = async (query: string) =>
        (await json(await gw.api(`/v1/vendors?${query}`))).vendors.map((v: { name: string }) => v.name);
      expect(await names('role=controller')).toEqual(['Filter Alpha', 'Filter Beta']);
      expect(await names('role=controller&risk_tier=high')).toEqual(['Filter Beta']);
      expect(await names('q=filter&dpa_status=not_required')).toEqual(['Filter Beta']);
      expect(await names('q=FILTER&dpa_status=none')).toEqual(['Filter Alpha']);
      expect(await names('q=filter&has_connections=true')).toEqual([]);
      expect(await names('q=filter&has_connections=false')).toEqual(['Filter Alpha', 'Filter Beta']);
      await refused(await gw.api('/v1/vendors?role=overlord'), 400, 'role');
      await refused(await gw.api('/v1/vendors?has_connections=maybe'), 400, 'has_connections');
      expect(a.id).toBeDefined();
    });

    it('links and unlinks sub-processors, refusing a vendor as its own', async () => {
      const main = await vendor({ name: 'Main Processor', role: 'processor' });
      const sub = await vendor({ name: 'Cloud Host', role: 'sub_processor', country: 'IE' });
      const res = await post(`/v1/vendors/${main.id}/sub-processors`, {
        sub_processor_id: sub.id,
        notified_at: '2025-05-01T09:00:00Z',
        objection_deadline: '2025-05-31',
      });
      expect(res.status).toBe(201);
      expect((await json(res)).sub_processors).toEqual([
        expect.objectContaining({ vendor_id: sub.id, name: 'Cloud Host', objection_deadline: '2025-05-31' }),
      ]);
      await refused(
        await post(`/v1/vendors/${main.id}/sub-processors`, { sub_processor_id: sub.id }),
        409,
        'sub_processor_id',
      );
      await refused(
        await post(`/v1/vendors/${main.id}/sub-processors`, { sub_processor_id: main.id }),
        400,
        'sub_processor_id',
      );
      expect(await json(await gw.api(`/v1/vendors/${sub.id}`))).toMatchObject({
        processor_of: [{ id: main.id, name: 'Main Processor' }],
      });
      const removed = await gw.api(`/v1/vendors/${main.id}/sub-processors/${sub.id}`, { method: 'DELETE' });
      expect(removed.status).toBe(200);
      expect((await json(removed)).sub_processors).toEqual([]);
      expect(
        (await gw.api(`/v1/vendors/${main.id}/sub-processors/${sub.id}`, { method: 'DELETE' })).status,
      ).toBe(404);
    });
  });

  describe('DPAs', () => {
    let vendorId = '';
    let signedId = '';

    beforeAll(async () => {
      vendorId = (await vendor({ name: 'Contracted', role: 'processor' })).id;
    });

    it('keeps every version: a new one never overwrites the one before', async () => {
      const v1 = await dpa(vendorId, { status: 'draft', clauses: { confidentiality: true } });
      const v2 = await signedDpa(vendorId, {
        signed_at: day(-10),
        effective_from: day(-10),
        expires_at: day(355),
        review_due_at: day(200),
        subprocessor_authorization: 'general_with_notice',
        subprocessor_notice_days: 30,
        breach_notification_hours: 48,
        dsr_assistance_days: 10,
      });
      signedId = v2.id;
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(v2).toMatchObject({ valid: true, governing: true, clauses_missing: [], incomplete: [] });
      const history = await json(await gw.api(`/v1/vendors/${vendorId}/dpas`));
      expect(history.current.id).toBe(v2.id);
      expect(history.versions.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual(
        [
          [2, 'signed'],
          [1, 'draft'],
        ],
      );
      expect(history.versions[1].clauses).toMatchObject({ confidentiality: true, audit_rights: false });
      // The database itself refuses to rewrite a version or remove one.
      await expect(
        db.query(`UPDATE dpa SET expires_at = '2099-01-01' WHERE id = $1`, [v2.id]),
      ).rejects.toThrow(/fixed/);
      await expect(db.query(`DELETE FROM dpa WHERE id = $1`, [v1.id])).rejects.toThrow(/append-only/);
    });

    it('keeps the signed agreement in force while a renewal is only negotiated', async () => {
      const v3 = await dpa(vendorId, { status: 'in_negotiation' });
      expect(v3).toMatchObject({ version: 3, governing: false });
      expect(await json(await gw.api(`/v1/vendors/${vendorId}`))).toMatchObject({
        dpa_valid: true,
        dpa: { id: signedId },
      });
    });

    it('refuses incomplete or contradictory agreements, naming the field', async () => {
      await refused(await post(`/v1/vendors/${vendorId}/dpas`, { status: 'signed' }), 400, 'signed_at');
      await refused(
        await post(`/v1/vendors/${vendorId}/dpas`, {
          status: 'signed',
          signed_at: day(),
          effective_from: day(10),
          expires_at: day(5),
        }),
        400,
        'expires_at',
      );
      await refused(
        await post(`/v1/vendors/${vendorId}/dpas`, {
          status: 'draft',
          subprocessor_authorization: 'general_with_notice',
        }),
        400,
        'subprocessor_notice_days',
      );
      await refused(await post(`/v1/vendors/${vendorId}/dpas`, { status: 'approved' }), 400, 'status');
      await refused(
        await post(`/v1/vendors/${vendorId}/dpas`, { status: 'draft', clauses: { audit: true } }),
        400,
        'clauses.audit',
      );
    });

    it('moves a version on by PATCH only where history is kept', async () => {
      await refused(await patch(`/v1/dpas/${signedId}`, { status: 'draft' }), 400, 'status');
      const other = (await vendor({ name: 'Short-lived' })).id;
      const signed = await signedDpa(other);
      const ended = await patch(`/v1/dpas/${signed.id}`, { status: 'terminated', reason: 'breach' });
      expect(ended.status).toBe(200);
      const body = await json(ended);
      expect(body).toMatchObject({ status: 'terminated', status_reason: 'breach', valid: false });
      expect(body.terminated_at).toBeTruthy();
      await refused(await patch(`/v1/dpas/${signed.id}`, { status: 'expired' }), 409, 'status');
    });

    it('attaches a signed PDF to a version that has none, with its SHA-256, and serves it byte for byte', async () => {
      // Recorded through the JSON API without its document: incomplete, not valid, until the PDF comes.
      const bare = await dpa((await vendor({ name: 'Paper first' })).id, {
        status: 'signed',
        signed_at: day(-1),
        clauses: ALL_CLAUSES,
      });
      expect(bare).toMatchObject({ valid: false, effective_status: 'incomplete', incomplete: ['document'] });
      const signedId = bare.id as string;
      const bytes = Buffer.concat([
        Buffer.from('%PDF-1.7\n'),
        Buffer.from([0, 1, 2, 255, 254, 10]),
        Buffer.from('%%EOF\n'),
      ]);
      const res = await upload(signedId, bytes, PDF);
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body.document).toMatchObject({
        sha256: createHash('sha256').update(bytes).digest('hex'),
        type: PDF,
        size: bytes.length,
        name: 'acme-dpa.pdf',
      });
      const download = await gw.api(`/v1/dpas/${signedId}/document`);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe(PDF);
      expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="acme-dpa.pdf"/);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
      expect(body).toMatchObject({ valid: true, effective_status: 'signed', incomplete: [] });
      // Once stored, a version's document is never replaced.
      await refused(await upload(signedId, bytes, PDF), 409, 'body');
    });

    it('accepts a DOCX (a ZIP container)', async () => {
      const draft = await dpa(vendorId, { status: 'draft' });
      const res = await upload(
        draft.id,
        Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(64, 7)]),
        DOCX,
      );
      expect(res.status).toBe(200);
      expect((await json(res)).document.type).toBe(DOCX);
    });

    it('refuses an executable or plain text sent as a PDF, and other types', async () => {
      const draft = await dpa(vendorId, { status: 'draft' });
      await refused(await upload(draft.id, Buffer.from('MZ\x90\x00\x03\x00\x00\x00'), PDF), 415, 'body');
      await refused(await upload(draft.id, 'just some text', PDF), 415, 'body');
      await refused(await upload(draft.id, 'PK\x03\x04', 'application/zip'), 415, 'content-type');
      await refused(await upload(draft.id, '{"a":1}', 'application/json'), 415, 'content-type');
      expect((await gw.api(`/v1/dpas/${draft.id}/document`)).status).toBe(404);
    });

    it('refuses a document over 10 MB with 413', async () => {
      const draft = await dpa(vendorId, { status: 'draft' });
      const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x20);
      big.write('%PDF-1.7');
      await refused(await upload(draft.id, big, PDF), 413, 'body');
    });

    it('answers 415 when a PDF is sent to a JSON route', async () => {
      const res = await gw.api('/v1/vendors', {
        method: 'POST',
        headers: { 'content-type': PDF },
        body: '%PDF-1.7',
      });
      expect(res.status).toBe(415);
    });
  });

  describe('processing activities and exports', () => {
    let recipient = '';
    let activityId = '';

    beforeAll(async () => {
      recipient = (
        await vendor({
          name: 'ROPA Recipient, Inc.',
          role: 'processor',
          country: 'US',
          transfers: [{ country: 'US', mechanism: 'sccs', sccs_module: 2 }],
        })
      ).id;
    });

    it('records a processing activity with its recipients resolved to vendors', async () => {
      const res = await post('/v1/processing-activities', {
        name: 'WhatsApp marketing',
        purpose: 'Offers on WhatsApp, "only" to people who opted in',
        legal_basis: 'consent',
        data_categories: ['phone number', 'consent status'],
        data_subjects: ['customers'],
        recipients: [recipient],
        retention: '24 months after the last interaction',
        security_measures: 'encryption at rest',
        dpia_required: false,
        controller_contact: 'dpo@shop.example',
        status: 'approved',
      });
      expect(res.status).toBe(201);
      const activity = await json(res);
      activityId = activity.id;
      expect(activity.recipients).toEqual([
        { vendor_id: recipient, name: 'ROPA Recipient, Inc.', role: 'processor', country: 'US' },
      ]);
      expect((await json(await gw.api(`/v1/processing-activities/${activityId}`))).name).toBe(
        'WhatsApp marketing',
      );
      const patched = await patch(`/v1/processing-activities/${activityId}`, { retention: '12 months' });
      expect(await json(patched)).toMatchObject({ retention: '12 months', recipients: [expect.anything()] });
    });

    it('refuses a bad legal basis, a legitimate interest left out, and an unknown recipient', async () => {
      const base = { name: 'Bad', purpose: 'x' };
      await refused(
        await post('/v1/processing-activities', { ...base, legal_basis: 'because' }),
        400,
        'legal_basis',
      );
      await refused(
        await post('/v1/processing-activities', { ...base, legal_basis: 'legitimate_interests' }),
        400,
        'legitimate_interest',
      );
      await refused(
        await post('/v1/processing-activities', {
          ...base,
          legal_basis: 'contract',
          recipients: ['00000000-0000-4000-8000-000000000000'],
        }),
        400,
        'recipients',
      );
    });

    it('exports the ROPA as JSON', async () => {
      const res = await gw.api('/v1/exports/ropa.json');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="ropa-.*\.json"$/);
      const ropa = await json(res);
      expect(ropa.processing_activities).toEqual([
        expect.objectContaining({
          name: 'WhatsApp marketing',
          legal_basis: 'consent',
          retention: '12 months',
          recipients: [expect.objectContaining({ name: 'ROPA Recipient, Inc.' })],
          recipient_transfers: [expect.objectContaining({ vendor: 'ROPA Recipient, Inc.', country: 'US' })],
        }),
      ]);
    });

    it('exports the ROPA as RFC 4180 CSV with a header row', async () => {
      const res = await gw.api('/v1/exports/ropa.csv');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="ropa-.*\.csv"$/);
      const lines = (await res.text()).split('\r\n');
      expect(lines[0]).toBe(
        'id,name,purpose,legal_basis,legitimate_interest,data_categories,data_subjects,recipients,transfers,retention,security_measures,dpia_required,dpia_reference,controller_contact,status,updated_at',
      );
      expect(lines[1]).toContain(
        `${activityId},WhatsApp marketing,"Offers on WhatsApp, ""only"" to people who opted in",consent,,"phone number; consent status",customers,"ROPA Recipient, Inc.","ROPA Recipient, Inc.: US (sccs module 2)",12 months,`,
      );
      expect(lines[2]).toBe('');
    });

    it('exports the vendor registry as CSV', async () => {
      const res = await gw.api('/v1/exports/vendors.csv');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="vendors-.*\.csv"$/);
      const lines = (await res.text()).split('\r\n');
      expect(lines[0].split(',').slice(0, 3)).toEqual(['id', 'name', 'legal_name']);
      expect(lines.find((l) => l.startsWith(`${recipient},`))).toContain('"ROPA Recipient, Inc.",,US,');
    });
  });

  describe('evidence pack and delivery figures', () => {
    it('lists every delivery to the vendor in the period, with the DPA facts', async () => {
      const v = await vendor({ name: 'Evidence Processor', role: 'processor' });
      await signedDpa(v.id, { signed_at: day(-5) });
      const connection = await json(
        await post('/v1/connections', {
          type: 'webhook',
          name: 'evidence',
          vendor_id: v.id,
          credentials: { url: `${processorUrl}/hooks` },
        }),
      );
      processor.useSecret(connection.signing_secret);
      const res = await post('/v1/consent-events', {
        event_id: 'evidence-1',
        phone: '+16315550999',
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'withdrawn',
        captured_at: new Date().toISOString(),
      });
      expect(res.status).toBe(200);
      await eventually(async () => {
        const rows = await db.query<{ status: string }>(
          `SELECT status FROM delivery WHERE connection_id = $1`,
          [connection.id],
        );
        return rows[0]?.status === 'succeeded';
      });

      const from = new Date(Date.now() - 3_600_000).toISOString();
      const to = new Date(Date.now() + 3_600_000).toISOString();
      const pack = await json(
        await gw.api(
          `/v1/vendors/${v.id}/evidence-pack?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
        ),
      );
      expect(pack.vendor).toMatchObject({ id: v.id, name: 'Evidence Processor' });
      expect(pack.dpa.current).toMatchObject({ status: 'signed', version: 1, valid: true });
      expect(pack.deliveries).toEqual([
        expect.objectContaining({
          connection_id: connection.id,
          status: 'succeeded',
          attempts: 1,
          reason: null,
        }),
      ]);
      expect(pack.deliveries[0].completed_at).toBeTruthy();
      expect(pack.summary).toMatchObject({ deliveries: 1, by_status: { succeeded: 1 } });

      const earlier = await json(
        await gw.api(`/v1/vendors/${v.id}/evidence-pack?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`),
      );
      expect(earlier.deliveries).toEqual([]);
      await refused(await gw.api(`/v1/vendors/${v.id}/evidence-pack?from=yesterday`), 400, 'from');

      const detail = await json(await gw.api(`/v1/vendors/${v.id}`));
      expect(detail.connections).toEqual([
        expect.objectContaining({
          id: connection.id,
          deliveries: expect.objectContaining({
            succeeded: 1,
            dead: 0,
            pending: 0,
            last_30_days: expect.objectContaining({ succeeded: 1 }),
          }),
        }),
      ]);
    });
  });

  describe('attention', () => {
    it('buckets expiring DPAs and lists missing DPAs, overdue reviews and incomplete sub-processors', async () => {
      const soon = await vendor({ name: 'Expires in 20' });
      await signedDpa(soon.id, {
        signed_at: day(-300),
        expires_at: day(20),
        review_due_at: day(-1),
      });
      const mid = await vendor({ name: 'Expires in 45' });
      await signedDpa(mid.id, { signed_at: day(-300), expires_at: day(45) });
      const late = await vendor({ name: 'Expires in 80' });
      await signedDpa(late.id, { signed_at: day(-300), expires_at: day(80) });
      const far = await vendor({ name: 'Expires in 200' });
      await signedDpa(far.id, { signed_at: day(-300), expires_at: day(200) });
      const overdue = await vendor({ name: 'Review overdue', next_review_at: day(-3) });
      const unsigned = await vendor({ name: 'Connected, unsigned' });
      await post('/v1/connections', {
        type: 'webhook',
        name: 'unsigned',
        vendor_id: unsigned.id,
        credentials: { url: `${processorUrl}/hooks` },
      });
      const sub = await vendor({ name: 'Bare sub-processor' });
      await post(`/v1/vendors/${soon.id}/sub-processors`, { sub_processor_id: sub.id });

      const res = await gw.api('/v1/registry/attention');
      expect(res.status).toBe(200);
      const report = await json(res);
      const names = (list: { vendor_name: string }[]) => list.map((e) => e.vendor_name);
      expect(names(report.expiring.within_30_days)).toEqual(['Expires in 20']);
      expect(report.expiring.within_30_days[0].days_left).toBe(20);
      expect(names(report.expiring.within_60_days)).toEqual(['Expires in 45']);
      expect(names(report.expiring.within_90_days)).toEqual(['Expires in 80']);
      expect(names(report.vendors_without_valid_dpa)).toContain('Connected, unsigned');
      expect(names(report.vendors_without_valid_dpa)).not.toContain('Expires in 20');
      expect(report.reviews_overdue).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'vendor', vendor_id: overdue.id, due: day(-3) }),
          expect.objectContaining({ kind: 'dpa', vendor_id: soon.id, due: day(-1) }),
        ]),
      );
      expect(report.sub_processors_incomplete).toEqual([
        expect.objectContaining({
          vendor_id: sub.id,
          processor_of: ['Expires in 20'],
          missing: ['dpa', 'role'],
        }),
      ]);
      expect(report.counts).toMatchObject({
        expiring_within_30_days: 1,
        expiring_within_60_days: 1,
        expiring_within_90_days: 1,
        sub_processors_incomplete: 1,
      });
    });
  });
});
