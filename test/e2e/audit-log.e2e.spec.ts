import { randomUUID } from 'node:crypto';
import { UserService } from '../../src/modules/auth/user.service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { json, startTestApp, type TestApp } from '../support/app';

const PASSWORD = 'correct horse battery staple';

interface Entry {
  action: string;
  action_words: string;
  outcome: string;
  result: string;
  result_words: string;
  status: number | null;
  actor: { type: string; id: string | null; name: string | null };
  target: { type: string; id: string } | null;
  details: Record<string, unknown>;
}

/**
 * The audit log as a DPO reads it (issue 11): every outcome, actions in words, before/after of changes,
 * filters, CSV; API keys with an expiry; invited users; the controller's details.
 */
describe('the audit log, users, keys and the controller settings', () => {
  let db: TestDatabase;
  let gw: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
    const users = gw.app.get(UserService);
    await users.create({ email: 'dpo@example.com', name: 'Dana DPO', role: 'dpo', password: PASSWORD });
    await users.create({
      email: 'viewer@example.com',
      name: 'Vic Viewer',
      role: 'viewer',
      password: PASSWORD,
    });
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function signIn(email: string, password = PASSWORD) {
    const res = await gw.api('/console/api/session', {
      key: null,
      method: 'POST',
      json: { email, password },
    });
    const body = await json(res);
    return {
      status: res.status,
      cookie: (res.headers.get('set-cookie') ?? '').split(';')[0],
      csrf: body.csrf_token,
    };
  }

  const asUser = (
    who: { cookie: string; csrf?: string },
    path: string,
    init: RequestInit & { json?: unknown } = {},
  ) =>
    gw.api(path, {
      ...init,
      key: null,
      headers: { cookie: who.cookie, ...(who.csrf ? { 'x-csrf-token': who.csrf } : {}) },
    });

  async function entries(query = ''): Promise<Entry[]> {
    const res = await gw.api(`/v1/audit?limit=1000${query ? `&${query}` : ''}`);
    expect(res.status).toBe(200);
    return (await json(res)).events as Entry[];
  }

  describe('outcomes', () => {
    it('records a refused action (a role without the scope) as refused, naming who and the status', async () => {
      const viewer = await signIn('viewer@example.com');
      const res = await asUser(viewer, '/v1/vendors', { method: 'POST', json: { name: 'Not allowed Ltd' } });
      expect(res.status).toBe(403);
      const [entry] = await entries('outcome=failure&actor=viewer@');
      expect(entry).toMatchObject({
        action: 'POST /v1/vendors',
        outcome: 'failure',
        result: 'refused',
        status: 403,
        result_words: 'Refused: not allowed (403)',
        actor: { type: 'user', name: 'viewer@example.com' },
      });
    });

    it('records a call without a valid key as refused, by nobody in particular', async () => {
      const res = await gw.api('/v1/vendors', { method: 'POST', json: { name: 'x' }, key: 'cgk_wrong' });
      expect(res.status).toBe(401);
      const [entry] = await entries('outcome=failure');
      expect(entry).toMatchObject({ result: 'refused', status: 401, actor: { type: 'anonymous' } });
    });

    it('records invalid input as failed with its status, and nothing else is stored', async () => {
      const res = await gw.api('/v1/vendors', { method: 'POST', json: { name: '' } });
      expect(res.status).toBe(400);
      const [entry] = await entries('outcome=failure');
      expect(entry).toMatchObject({
        action: 'POST /v1/vendors',
        result: 'failed',
        status: 400,
        result_words: 'Failed: the input was not valid (400)',
      });
    });

    it('records a wrong password as a failed sign-in of that user, without the password', async () => {
      const { status } = await signIn('dpo@example.com', 'wrong password entirely');
      expect(status).toBe(401);
      const [entry] = await entries('outcome=failure&area=sign_in');
      expect(entry).toMatchObject({
        action: 'session.login',
        action_words: 'Tried to sign in',
        result_words: 'Refused: wrong password (401)',
        result: 'refused',
        status: 401,
        actor: { type: 'user', name: 'dpo@example.com' },
        details: { reason: 'wrong_password' },
      });
      expect(JSON.stringify(entry)).not.toContain('wrong password entirely');
    });

    it('does not name an email that belongs to nobody', async () => {
      await signIn('nobody-here@example.com', 'whatever it is');
      const all = JSON.stringify(await entries());
      expect(all).not.toContain('nobody-here');
      const [entry] = await entries('outcome=failure&area=sign_in');
      expect(entry).toMatchObject({
        actor: { type: 'anonymous', name: null },
        details: { reason: 'unknown_user' },
      });
    });

    it('filters by outcome: the failure filter shows only what did not succeed', async () => {
      const failures = await entries('outcome=failure');
      expect(failures.length).toBeGreaterThanOrEqual(5);
      expect(failures.every((e) => e.outcome === 'failure')).toBe(true);
      const successes = await entries('outcome=success');
      expect(successes.every((e) => e.outcome === 'success')).toBe(true);
    });
  });

  describe('actions in words', () => {
    let vendorId: string;

    it('names a vendor added: "Added vendor Acme"', async () => {
      const res = await gw.api('/v1/vendors', { method: 'POST', json: { name: 'Acme Mail' } });
      expect(res.status).toBe(201);
      vendorId = (await json(res)).id;
      const [entry] = await entries('area=vendors&outcome=success');
      expect(entry.action_words).toBe('Added vendor Acme Mail');
      expect(entry.target).toEqual({ type: 'vendors', id: vendorId });
    });

    it('records a change with the fields before and after', async () => {
      const res = await gw.api(`/v1/vendors/${vendorId}`, {
        method: 'PATCH',
        json: { name: 'Acme Mail GmbH' },
      });
      expect(res.status).toBe(200);
      const [entry] = await entries(`target_id=${vendorId}`);
      expect(entry.action_words).toBe('Changed vendor Acme Mail GmbH');
      expect(entry.details.changes).toMatchObject({ name: { before: 'Acme Mail', after: 'Acme Mail GmbH' } });
    });

    it('filters by when: nothing before the log began, everything since', async () => {
      expect(
        await entries(`from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`),
      ).toEqual([]);
      expect((await entries('from=2020-01-01')).length).toBeGreaterThan(0);
      const bad = await gw.api('/v1/audit?from=yesterday');
      expect(bad.status).toBe(400);
      expect((await json(bad)).errors[0].field).toBe('from');
    });

    it('exports the filtered log as CSV, formulas neutralised', async () => {
      // A key whose name a spreadsheet would run as a formula, acting: its name is the "who" cell.
      const key = await json(
        await gw.api('/v1/api-keys', {
          method: 'POST',
          json: { name: '=HYPERLINK("http://evil")', scopes: ['registry:write'] },
        }),
      );
      expect(
        (await gw.api('/v1/vendors', { method: 'POST', json: { name: 'Beta' }, key: key.key })).status,
      ).toBe(201);
      const res = await gw.api('/v1/audit/export.csv?area=vendors');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/csv');
      expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="audit-log-.*\.csv"/);
      const text = await res.text();
      const lines = text.trim().split('\r\n');
      expect(lines[0]).toBe('when,who,actor_type,action,outcome,status,target,from,entry');
      expect(lines[1]).toContain(`,"'=HYPERLINK(""http://evil"")",api_key,Added vendor Beta,Succeeded,201,`);
      expect(text).toContain('Added vendor Acme Mail');
      expect(text).not.toMatch(/(^|,)"?=HYPERLINK/m);
      // Only the filtered area.
      expect(text).not.toContain('Signed in');
    });
  });

  describe('looking at a person', () => {
    it('writes one entry for one look, however many endpoints the page reads', async () => {
      const dpo = await signIn('dpo@example.com');
      const phone = `+4915112${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
      const recorded = await gw.api('/v1/consent-events', {
        method: 'POST',
        json: {
          event_id: `evt-${randomUUID()}`,
          phone,
          purpose: 'marketing',
          channel: 'whatsapp',
          status: 'granted',
          captured_at: new Date().toISOString(),
        },
      });
      const subjectId = (await json(recorded)).subject_id as string;
      // The person page: a lookup by phone, then consents and timeline by id, in parallel.
      expect((await asUser(dpo, `/v1/consents?phone=${encodeURIComponent(phone)}`)).status).toBe(200);
      const reads = await Promise.all([
        asUser(dpo, `/v1/consents?subject_id=${subjectId}`),
        asUser(dpo, `/v1/subjects/${subjectId}/timeline`),
      ]);
      expect(reads.map((r) => r.status)).toEqual([200, 200]);
      const looks = await entries(`target_id=${subjectId}&area=people`);
      expect(looks.filter((e) => e.actor.name === 'dpo@example.com')).toHaveLength(1);
      expect(JSON.stringify(looks)).not.toContain(phone.slice(3));
    });
  });

  describe('API keys with an expiry', () => {
    it('refuses an expiry in the past, naming the field', async () => {
      const res = await gw.api('/v1/api-keys', {
        method: 'POST',
        json: { name: 'old', scopes: ['overview:read'], expires_at: '2020-01-01T00:00:00Z' },
      });
      expect(res.status).toBe(400);
      expect((await json(res)).errors).toEqual([{ field: 'expires_at', message: 'must be in the future' }]);
    });

    it('works until it expires, then is refused with 401 and listed as expired', async () => {
      const expires = new Date(Date.now() + 2_500).toISOString();
      const res = await gw.api('/v1/api-keys', {
        method: 'POST',
        json: { name: 'short-lived', scopes: ['overview:read'], expires_at: expires },
      });
      expect(res.status).toBe(201);
      const created = await json(res);
      expect(created).toMatchObject({ expires_at: expires, status: 'active' });
      expect((await gw.api('/v1/settings/controller', { key: created.key })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2_700));
      const after = await gw.api('/v1/settings/controller', { key: created.key });
      expect(after.status).toBe(401);
      const listed = (await json(await gw.api('/v1/api-keys'))).api_keys.find(
        (k: { id: string }) => k.id === created.id,
      );
      expect(listed).toMatchObject({ status: 'expired' });
    });
  });

  describe('users', () => {
    it('invites a user with a temporary password shown once, which signs them in', async () => {
      const res = await gw.api('/v1/users', {
        method: 'POST',
        json: { email: 'new.admin@example.com', name: 'Nia New', role: 'crm_admin' },
      });
      expect(res.status).toBe(201);
      const body = await json(res);
      expect(body.temporary_password).toMatch(/^[A-Za-z2-9]{20}$/);
      expect((await signIn('new.admin@example.com', body.temporary_password)).status).toBe(200);
      const listed = JSON.stringify(await json(await gw.api('/v1/users')));
      expect(listed).not.toContain(body.temporary_password);
      const [entry] = await entries('area=access&outcome=success');
      expect(entry.action_words).toBe('Invited user Nia New');
      expect(JSON.stringify(entry)).not.toContain(body.temporary_password);
    });

    it('records a role change with the role before and after', async () => {
      const user = (await json(await gw.api('/v1/users'))).users.find(
        (u: { email: string }) => u.email === 'new.admin@example.com',
      );
      const res = await gw.api(`/v1/users/${user.id}`, { method: 'PATCH', json: { role: 'viewer' } });
      expect(res.status).toBe(200);
      const [entry] = await entries(`target_id=${user.id}`);
      expect(entry.details.changes).toEqual({ role: { before: 'crm_admin', after: 'viewer' } });
    });
  });

  describe('the controller settings', () => {
    it('counts the built-in placeholders as not filled in', async () => {
      const res = await gw.api('/v1/settings/controller');
      expect(await json(res)).toMatchObject({
        source: 'configuration',
        complete: false,
        name: 'Consent Gateway operator',
        missing: expect.arrayContaining(['name', 'email', 'address', 'privacy_policy_url']),
      });
    });

    it('refuses an invalid email, naming the field, and stores nothing', async () => {
      const res = await gw.api('/v1/settings/controller', {
        method: 'PUT',
        json: { name: 'Acme Retail GmbH', contact: 'DPO', email: 'nope', address: 'Berlin' },
      });
      expect(res.status).toBe(400);
      expect((await json(res)).errors.map((e: { field: string }) => e.field)).toEqual(['email']);
      expect(await db.query(`SELECT 1 FROM controller_settings`)).toHaveLength(0);
    });

    it('saves the controller, which receipts then name', async () => {
      const res = await gw.api('/v1/settings/controller', {
        method: 'PUT',
        json: {
          name: 'Acme Retail GmbH',
          contact: 'Data Protection Officer, Jo Smith',
          email: 'privacy@acme-retail.de',
          address: 'Hauptstraße 1, 10115 Berlin',
          privacy_policy_url: 'https://acme-retail.de/privacy',
        },
      });
      expect(res.status).toBe(200);
      expect(await json(res)).toMatchObject({ source: 'saved', complete: true, missing: [] });
      const recorded = await gw.api('/v1/consent-events', {
        method: 'POST',
        json: {
          event_id: `evt-${randomUUID()}`,
          email: `receipt-${randomUUID()}@example.org`,
          purpose: 'marketing',
          channel: 'email',
          status: 'granted',
          captured_at: new Date().toISOString(),
        },
      });
      const subjectId = (await json(recorded)).subject_id;
      const timeline = await json(await gw.api(`/v1/subjects/${subjectId}/timeline`));
      expect(timeline.events[0].receipt.kantara.piiControllers[0]).toMatchObject({
        piiController: 'Acme Retail GmbH',
        email: 'privacy@acme-retail.de',
        piiControllerUrl: 'https://acme-retail.de/privacy',
      });
      const [entry] = await entries('area=settings');
      expect(entry.action_words).toBe('Changed the controller details');
      expect(entry.details.changes).toMatchObject({
        name: { before: 'Consent Gateway operator', after: 'Acme Retail GmbH' },
      });
    });
  });
});
