import { randomUUID } from 'node:crypto';
import type { Scope } from '../../src/platform/http/scopes';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { json, startTestApp, TEST_API_KEY, type TestApp } from '../support/app';

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

let phoneCounter = 3000;
/** A valid, never-used phone number (Google's 650-253 exchange), in E.164. */
const newPhone = () => `+1650253${String(phoneCounter++).padStart(4, '0')}`;

/** Adds whole calendar months the way the deadline rules do (end-of-month clamp), for expectations. */
function plusMonths(isoTime: string, months: number): string {
  const d = new Date(isoTime);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months + 1, 0)).getUTCDate();
  const out = new Date(d);
  out.setUTCDate(1);
  out.setUTCMonth(d.getUTCMonth() + months);
  out.setUTCDate(Math.min(d.getUTCDate(), last));
  return out.toISOString();
}

interface Problem {
  status: number;
  code: string;
  errors?: { field: string; message: string }[];
}

/** The data-subject requests API: validation, scopes, lifecycle, deadlines, manual tasks, audit. */
describe('the requests API', () => {
  let db: TestDatabase;
  let gw: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const keys = new Map<string, string>();
  /** A key holding exactly these scopes (made once per set). */
  async function keyWith(...scopes: Scope[]): Promise<string> {
    const name = scopes.join(',');
    const known = keys.get(name);
    if (known) return known;
    const res = await gw.api('/v1/api-keys', { method: 'POST', json: { name: `requests ${name}`, scopes } });
    expect(res.status).toBe(201);
    const { key } = (await res.json()) as { key: string };
    keys.set(name, key);
    return key;
  }

  /** A person the ledger knows: a marketing grant on WhatsApp by phone. */
  async function person(): Promise<{ phone: string; subjectId: string }> {
    const phone = newPhone();
    const res = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: `evt-${randomUUID()}`,
        phone,
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        captured_at: daysAgo(60),
      },
    });
    expect(res.status).toBe(200);
    return { phone, subjectId: ((await res.json()) as { subject_id: string }).subject_id };
  }

  const post = (path: string, body: unknown, key: string | null = TEST_API_KEY) =>
    gw.api(path, { method: 'POST', json: body, key });
  const get = (path: string, key: string | null = TEST_API_KEY) => gw.api(path, { key });

  /** Records a request with the bootstrap key (every scope, so a verification given settles the identity). */
  async function created(body: Record<string, unknown>, key: string = TEST_API_KEY) {
    const res = await post('/v1/requests', body, key);
    expect(res.status).toBe(201);
    return json(res);
  }

  async function refused(res: Response, status: number, field: string): Promise<Problem> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = (await res.json()) as Problem;
    expect(problem.errors?.map((e) => e.field)).toContain(field);
    return problem;
  }

  const requestCount = async () =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM data_subject_request`))[0].n);

  describe('POST /v1/requests', () => {
    it('answers 201 with the request, its deadline one calendar month after receipt', async () => {
      const { phone } = await person();
      const receivedAt = '2026-01-31T09:00:00.000Z';
      const body = await created({ type: 'access', phone, received_at: receivedAt });
      expect(body).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'access',
        status: 'identity_verification',
        status_reason: 'need_user_verification',
        origin: 'api',
        received_at: receivedAt,
        original_due_at: '2026-02-28T09:00:00.000Z',
        matched: true,
        subject_masked: expect.stringMatching(/^\+1 ••• ••• \d{3}$/),
      });
    });

    it('keeps the identifier sealed: the phone is nowhere in the request row', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone });
      const [row] = await db.query<Record<string, unknown>>(
        `SELECT * FROM data_subject_request WHERE id = $1`,
        [id],
      );
      expect(JSON.stringify(row)).not.toContain(phone.slice(1));
    });

    it.each([
      ['type', { type: 'delete', email: 'a@example.com' }],
      ['phone', { type: 'access', phone: '12345' }],
      ['email', { type: 'access', email: 'not-an-email' }],
      ['subject_id', { type: 'access', subject_id: 'nope' }],
      ['received_at', { type: 'access', email: 'a@example.com', received_at: 'yesterday' }],
      ['source', { type: 'access', email: 'a@example.com', source: 'E-Mail with spaces' }],
      ['verification.method', { type: 'access', email: 'a@example.com', verification: { note: 'x' } }],
      ['changes.phone', { type: 'rectification', email: 'a@example.com', changes: { phone: 'abc' } }],
      ['lift', { type: 'restriction', email: 'a@example.com', lift: 'yes' }],
      ['unexpected', { type: 'access', email: 'a@example.com', unexpected: 1 }],
    ])('refuses a bad %s with a 400 naming it, storing nothing', async (field, body) => {
      const before = await requestCount();
      await refused(await post('/v1/requests', body), 400, field);
      expect(await requestCount()).toBe(before);
    });

    it('refuses a request naming nobody or two identifiers at once', async () => {
      await refused(await post('/v1/requests', { type: 'access' }), 400, 'phone');
      await refused(
        await post('/v1/requests', { type: 'access', phone: newPhone(), email: 'b@example.com' }),
        400,
        'email',
      );
    });

    it('refuses a receipt time in the future', async () => {
      const future = new Date(Date.now() + 2 * DAY).toISOString();
      await refused(
        await post('/v1/requests', { type: 'access', email: 'c@example.com', received_at: future }),
        400,
        'received_at',
      );
    });

    it('refuses a rectification without corrected values, and changes on another type', async () => {
      await refused(
        await post('/v1/requests', { type: 'rectification', email: 'd@example.com' }),
        400,
        'changes',
      );
      await refused(
        await post('/v1/requests', {
          type: 'access',
          email: 'd@example.com',
          changes: { email: 'e@example.com' },
        }),
        400,
        'changes',
      );
    });

    it('refuses lift on anything but a restriction', async () => {
      await refused(
        await post('/v1/requests', { type: 'erasure', email: 'f@example.com', lift: true }),
        400,
        'lift',
      );
    });

    it('answers a request that matches nobody as such: completed, no_match, recorded', async () => {
      const body = await created({ type: 'erasure', email: `nobody-${randomUUID()}@example.com` });
      expect(body).toMatchObject({
        status: 'completed',
        status_reason: 'no_match',
        matched: false,
        subject_id: null,
      });
      expect(body.history.map((h: { action: string }) => h.action)).toEqual([
        'created',
        'no_match',
        'completed',
      ]);
    });

    it('answers 403 to a key without requests:write, storing nothing', async () => {
      const before = await requestCount();
      const res = await post(
        '/v1/requests',
        { type: 'access', email: 'g@example.com' },
        await keyWith('requests:read'),
      );
      expect(res.status).toBe(403);
      expect(await requestCount()).toBe(before);
    });

    it('starts at once when a key holding requests:verify says how the identity was verified', async () => {
      const { phone } = await person();
      const body = await created({
        type: 'access',
        phone,
        verification: { method: 'known_channel', note: 'called back' },
      });
      expect(body.status).toBe('completed');
      expect(body.verification).toMatchObject({ method: 'known_channel', note: 'called back' });
    });

    it('waits for verification when the key lacks requests:verify, and says the verification was not taken', async () => {
      const { phone } = await person();
      const key = await keyWith('requests:write', 'requests:read');
      const body = await created({ type: 'access', phone, verification: { method: 'id_document' } }, key);
      expect(body.status).toBe('identity_verification');
      expect(body.verification).toBeNull();
      expect(body.history[0].detail).toMatchObject({ verification_ignored: 'requests:verify missing' });
    });
  });

  describe('lifecycle', () => {
    it('moves from identity_verification through verify to completed when no processor is connected', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone });
      const res = await post(`/v1/requests/${id}/verify`, { method: 'id_document', note: 'passport seen' });
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body).toMatchObject({
        status: 'completed',
        status_reason: 'processors_settled',
        export_available: true,
      });
      expect(body.history.map((h: { action: string }) => h.action)).toEqual(
        expect.arrayContaining(['created', 'identity_verification', 'verified', 'in_progress', 'completed']),
      );
    });

    it('refuses verify without requests:verify (403)', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone });
      const res = await post(
        `/v1/requests/${id}/verify`,
        { method: 'id_document' },
        await keyWith('requests:write'),
      );
      expect(res.status).toBe(403);
    });

    it('refuses to verify a request twice (409 naming status)', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone, verification: { method: 'known_channel' } });
      await refused(await post(`/v1/requests/${id}/verify`, { method: 'id_document' }), 409, 'status');
    });

    it('denies an open request with its reason, and refuses to deny it again', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'erasure', phone });
      const body = await json(await post(`/v1/requests/${id}/deny`, { reason: 'identity not proven' }));
      expect(body).toMatchObject({ status: 'denied', denial_reason: 'identity not proven', days_left: null });
      await refused(await post(`/v1/requests/${id}/deny`, { reason: 'again' }), 409, 'status');
    });

    it('requires a reason to deny (400 naming reason)', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone });
      await refused(await post(`/v1/requests/${id}/deny`, {}), 400, 'reason');
    });

    it('cancels an open request, with or without a reason', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone });
      const body = await json(await post(`/v1/requests/${id}/cancel`, {}));
      expect(body).toMatchObject({ status: 'cancelled', cancel_reason: null });
    });

    it('refuses to cancel a completed request', async () => {
      const body = await created({ type: 'access', email: `x-${randomUUID()}@example.com` });
      await refused(await post(`/v1/requests/${body.id}/cancel`, {}), 409, 'status');
    });

    it('answers 404 for an unknown request, 400 for a malformed id', async () => {
      expect((await get(`/v1/requests/${randomUUID()}`)).status).toBe(404);
      await refused(await get('/v1/requests/not-a-uuid'), 400, 'id');
    });

    it('absorbs a second erasure of a person whose erasure is open', async () => {
      const { phone } = await person();
      const first = await created({ type: 'erasure', phone });
      const second = await created({ type: 'erasure', phone });
      expect(second).toMatchObject({
        status: 'cancelled',
        status_reason: 'duplicate',
        duplicate_of: first.id,
      });
      const firstNow = await json(await get(`/v1/requests/${first.id}`));
      expect(firstNow.history.map((h: { action: string }) => h.action)).toContain('absorbed_duplicate');
    });

    it('erases a person with no processor connected: completed, and the check answers erased', async () => {
      const { phone } = await person();
      const body = await created({ type: 'erasure', phone, verification: { method: 'known_channel' } });
      expect(body).toMatchObject({ status: 'completed', status_reason: 'processors_settled' });
      expect(body.history.map((h: { action: string }) => h.action)).toEqual(
        expect.arrayContaining(['erasure_marked', 'deliveries_planned', 'forgotten', 'completed']),
      );
      const check = await json(await get(`/v1/consents/check?phone=${encodeURIComponent(phone)}`));
      expect(check).toMatchObject({ allowed: false, reason: 'erased' });
    });

    it('restricts a person: the check answers restricted', async () => {
      const { phone } = await person();
      const body = await created({ type: 'restriction', phone, verification: { method: 'known_channel' } });
      expect(body.status).toBe('completed');
      const check = await json(await get(`/v1/consents/check?phone=${encodeURIComponent(phone)}`));
      expect(check).toMatchObject({ allowed: false, reason: 'restricted' });
    });

    it('rectifies the phone number: the old one no longer finds the person, the new one does', async () => {
      const { phone, subjectId } = await person();
      const corrected = newPhone();
      const body = await created({
        type: 'rectification',
        phone,
        changes: { phone: corrected },
        verification: { method: 'known_channel' },
      });
      expect(body).toMatchObject({
        status: 'completed',
        changes_masked: { phone: expect.stringMatching(/^\+1 •••/) },
      });
      const byNew = await json(await get(`/v1/consents?phone=${encodeURIComponent(corrected)}`));
      expect(byNew.subject_id).toBe(subjectId);
      expect((await get(`/v1/consents?phone=${encodeURIComponent(phone)}`)).status).toBe(404);
    });

    it('refuses a rectification to a value another person holds (409 naming it), storing nothing', async () => {
      const { phone } = await person();
      const other = await person();
      const before = await requestCount();
      const res = await post('/v1/requests', {
        type: 'rectification',
        phone,
        changes: { phone: other.phone },
        verification: { method: 'known_channel' },
      });
      await refused(res, 409, 'changes.phone');
      expect(await requestCount()).toBe(before);
    });

    it('records an objection as withdrawals and completes', async () => {
      const { phone } = await person();
      const body = await created({ type: 'objection', phone, verification: { method: 'known_channel' } });
      expect(body).toMatchObject({ status: 'completed', status_reason: 'objection_recorded' });
      const check = await json(await get(`/v1/consents/check?phone=${encodeURIComponent(phone)}`));
      expect(check.allowed).toBe(false);
    });
  });

  describe('deadlines', () => {
    it('flags a request past its deadline as overdue, with negative days left', async () => {
      const { phone } = await person();
      const body = await created({ type: 'access', phone, received_at: daysAgo(40) });
      expect(body).toMatchObject({ overdue: true, due_soon: false });
      expect(body.days_left).toBeLessThan(0);
    });

    it('flags a request within the due-soon window as due soon', async () => {
      const { phone } = await person();
      const receivedAt = new Date(plusMonths(new Date(Date.now() + 3 * DAY).toISOString(), -1)).toISOString();
      const body = await created({ type: 'access', phone, received_at: receivedAt });
      expect(body).toMatchObject({ due_soon: true, overdue: false });
    });

    it('extends by two months within the first month, with reason and the date the person was told', async () => {
      const { phone } = await person();
      const receivedAt = daysAgo(10);
      const { id } = await created({ type: 'access', phone, received_at: receivedAt });
      const res = await post(`/v1/requests/${id}/extend`, {
        months: 2,
        reason: 'many requests at once',
        subject_notified_at: daysAgo(1),
      });
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body.due_at).toBe(plusMonths(receivedAt, 3));
      expect(body.original_due_at).toBe(plusMonths(receivedAt, 1));
      expect(body.extension).toMatchObject({ months: 2, reason: 'many requests at once' });
    });

    it('refuses an extension after the first month (422 naming months)', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone, received_at: daysAgo(35) });
      const problem = await refused(
        await post(`/v1/requests/${id}/extend`, {
          months: 1,
          reason: 'late',
          subject_notified_at: daysAgo(1),
        }),
        422,
        'months',
      );
      expect(problem.code).toBe('extension_refused');
    });

    it('refuses more than two further months in all', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone, received_at: daysAgo(5) });
      const told = daysAgo(1);
      expect(
        (await post(`/v1/requests/${id}/extend`, { months: 1, reason: 'r', subject_notified_at: told }))
          .status,
      ).toBe(200);
      await refused(
        await post(`/v1/requests/${id}/extend`, { months: 2, reason: 'r', subject_notified_at: told }),
        422,
        'months',
      );
    });

    it('refuses an extension without the date the person was told, or with one in the future', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone });
      await refused(
        await post(`/v1/requests/${id}/extend`, { months: 1, reason: 'r' }),
        400,
        'subject_notified_at',
      );
      const future = new Date(Date.now() + DAY).toISOString();
      await refused(
        await post(`/v1/requests/${id}/extend`, { months: 1, reason: 'r', subject_notified_at: future }),
        422,
        'subject_notified_at',
      );
    });

    it('pauses the clock while waiting for the identity, and resumes it with the pause recorded', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone });
      const paused = await json(await post(`/v1/requests/${id}/pause`, { reason: 'asked for ID' }));
      expect(paused).toMatchObject({ paused: true, due_soon: false, overdue: false });
      expect(paused.pauses).toEqual([{ from: expect.any(String), to: null, reason: 'asked for ID' }]);
      await refused(await post(`/v1/requests/${id}/pause`, { reason: 'again' }), 409, 'status');
      const resumed = await json(await post(`/v1/requests/${id}/resume`, {}));
      expect(resumed.paused).toBe(false);
      expect(resumed.pauses[0].to).toEqual(expect.any(String));
      expect(Date.parse(resumed.due_at)).toBeGreaterThanOrEqual(Date.parse(paused.original_due_at));
    });

    it('refuses to pause an overdue request', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone, received_at: daysAgo(40) });
      await refused(await post(`/v1/requests/${id}/pause`, { reason: 'late' }), 409, 'due_at');
    });

    it('refuses to pause once the identity is settled', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'erasure', phone });
      await post(`/v1/requests/${id}/deny`, { reason: 'test' });
      await refused(await post(`/v1/requests/${id}/pause`, { reason: 'no' }), 409, 'status');
    });
  });

  describe('GET /v1/requests', () => {
    it('filters by type and status, newest first, with a cursor to the next page', async () => {
      const { phone } = await person();
      const a = await created({ type: 'restriction', phone, received_at: daysAgo(3) });
      const b = await created({ type: 'restriction', phone, received_at: daysAgo(2) });
      const page = await json(
        await get('/v1/requests?type=restriction&status=identity_verification&limit=1'),
      );
      expect(page.items).toHaveLength(1);
      expect(page.items[0].id).toBe(b.id);
      expect(page.next_cursor).toEqual(expect.any(String));
      const next = await json(
        await get(
          `/v1/requests?type=restriction&status=identity_verification&limit=1&cursor=${page.next_cursor}`,
        ),
      );
      expect(next.items[0].id).toBe(a.id);
    });

    it('lists overdue requests only, and none of them with overdue=false', async () => {
      const { phone } = await person();
      const late = await created({ type: 'access', phone, received_at: daysAgo(45) });
      const overdue = await json(await get('/v1/requests?overdue=true&limit=200'));
      expect(overdue.items.map((r: { id: string }) => r.id)).toContain(late.id);
      expect(overdue.items.every((r: { overdue: boolean }) => r.overdue)).toBe(true);
      const notOverdue = await json(await get('/v1/requests?overdue=false&limit=200'));
      expect(notOverdue.items.map((r: { id: string }) => r.id)).not.toContain(late.id);
    });

    it('lists open requests due before a time', async () => {
      const { phone } = await person();
      const soon = await created({ type: 'access', phone, received_at: daysAgo(28) });
      const before = new Date(Date.now() + 5 * DAY).toISOString();
      const page = await json(await get(`/v1/requests?due_before=${encodeURIComponent(before)}&limit=200`));
      expect(page.items.map((r: { id: string }) => r.id)).toContain(soon.id);
    });

    it('refuses bad filters with a 400 naming them', async () => {
      await refused(await get('/v1/requests?overdue=maybe'), 400, 'overdue');
      await refused(await get('/v1/requests?status=done'), 400, 'status');
      await refused(await get('/v1/requests?cursor=garbage'), 400, 'cursor');
      await refused(await get('/v1/requests?limit=1000'), 400, 'limit');
    });

    it('counts open, waiting, due-soon and overdue requests for the overview', async () => {
      const figures = await json(await get('/v1/requests/summary'));
      expect(figures).toEqual({
        open: expect.any(Number),
        identity_verification: expect.any(Number),
        waiting_on_processors: expect.any(Number),
        due_soon: expect.any(Number),
        overdue: expect.any(Number),
      });
      expect(figures.overdue).toBeGreaterThan(0);
    });

    it('exposes the open, due-soon and overdue requests as metrics', async () => {
      const text = await (await get('/metrics')).text();
      expect(text).toMatch(/^cg_requests_open\{status="identity_verification"\} \d+$/m);
      expect(text).toMatch(/^cg_requests_due_soon \d+$/m);
      expect(text).toMatch(/^cg_requests_overdue [1-9]\d*$/m);
    });

    it('answers 403 to a key without requests:read', async () => {
      expect((await get('/v1/requests', await keyWith('requests:write'))).status).toBe(403);
    });
  });

  describe('manual tasks', () => {
    it('opens a task for a registry recipient with no connection, and completes the erasure when it is done', async () => {
      const vendor = await json(
        await post('/v1/vendors', {
          name: `Paper archive ${randomUUID()}`,
          role: 'processor',
          country: 'DE',
        }),
      );
      const activity = await post('/v1/processing-activities', {
        name: `Newsletter ${randomUUID()}`,
        purpose: 'marketing',
        legal_basis: 'consent',
        recipients: [vendor.id],
      });
      expect(activity.status).toBe(201);
      const { phone } = await person();
      const body = await created({ type: 'erasure', phone, verification: { method: 'known_channel' } });
      expect(body.status).toBe('waiting_on_processors');
      const task = body.processors.find(
        (p: { kind: string; vendor_id: string }) => p.kind === 'manual' && p.vendor_id === vendor.id,
      );
      expect(task).toMatchObject({ status: 'open', reason: 'no_api_connection', operation: 'erasure' });

      await refused(
        await post(`/v1/requests/${body.id}/tasks/${task.task_id}/complete`, {}),
        400,
        'evidence',
      );
      const done = await json(
        await post(`/v1/requests/${body.id}/tasks/${task.task_id}/complete`, {
          evidence: 'Archive confirmed shredding by letter',
          reference: 'ARCH-42',
        }),
      );
      expect(done.status).toBe('completed');
      const row = done.processors.find((p: { task_id: string }) => p.task_id === task.task_id);
      expect(row).toMatchObject({ status: 'done', vendor_reference: 'ARCH-42' });
      expect(row.evidence.evidence_sha256).toMatch(/^[0-9a-f]{64}$/);
      await refused(
        await post(`/v1/requests/${body.id}/tasks/${task.task_id}/complete`, { evidence: 'again' }),
        409,
        'status',
      );
      // The recipient stays in the registry: later tests see it too, so it is retired here.
      await gw.api(`/v1/processing-activities/${((await activity.json()) as { id: string }).id}`, {
        method: 'PATCH',
        json: { status: 'deprecated' },
      });
    });

    it('answers 404 for a task of another request', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone });
      expect(
        (await post(`/v1/requests/${id}/tasks/${randomUUID()}/complete`, { evidence: 'x' })).status,
      ).toBe(404);
    });
  });

  describe('the access export', () => {
    it('gives the completed access request as JSON and as a printable, self-contained HTML page', async () => {
      const { phone, subjectId } = await person();
      const { id } = await created({ type: 'access', phone, verification: { method: 'known_channel' } });
      const res = await get(`/v1/requests/${id}/export?format=json`);
      expect(res.status).toBe(200);
      const data = await json(res);
      expect(data).toMatchObject({
        format: 'consent-gateway.access-export/1',
        request: { id, type: 'access' },
      });
      expect(JSON.stringify(data.person)).toContain(subjectId);
      expect(data.requests.map((r: { id: string }) => r.id)).toContain(id);

      const html = await get(`/v1/requests/${id}/export?format=html`);
      expect(html.status).toBe(200);
      expect(html.headers.get('content-type')).toMatch(/^text\/html/);
      expect(html.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      const page = await html.text();
      expect(page).toMatch(/^<!doctype html>/);
      expect(page).not.toMatch(/<script|<link|src=/i);
    });

    it('refuses the export of a request that is not a completed access request (409)', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone });
      expect((await get(`/v1/requests/${id}/export`)).status).toBe(409);
    });

    it('refuses an unknown format (400 naming format)', async () => {
      await refused(await get(`/v1/requests/${randomUUID()}/export?format=pdf`), 400, 'format');
    });
  });

  describe('the audit log', () => {
    it('records every action on a request and every look at it or its export', async () => {
      const { phone } = await person();
      const { id } = await created({ type: 'access', phone });
      await post(`/v1/requests/${id}/pause`, { reason: 'asked for ID' });
      await post(`/v1/requests/${id}/resume`, {});
      await post(`/v1/requests/${id}/verify`, { method: 'id_document' });
      await get(`/v1/requests/${id}`);
      await get(`/v1/requests/${id}/export`);
      const rows = await db.query<{ action: string }>(
        `SELECT action FROM audit_event WHERE target_id = $1 ORDER BY seq`,
        [id],
      );
      expect(rows.map((r) => r.action)).toEqual(
        expect.arrayContaining([
          'POST /v1/requests/:id/pause',
          'POST /v1/requests/:id/resume',
          'POST /v1/requests/:id/verify',
          'request.view',
          'person.access_export',
        ]),
      );
    });
  });
});
