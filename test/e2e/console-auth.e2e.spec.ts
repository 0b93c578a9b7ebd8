import { UserService } from '../../src/modules/auth/user.service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { json, startTestApp, type TestApp } from '../support/app';

const PASSWORD = 'correct horse battery staple';

describe('console sign-in, sessions and the audit log', () => {
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
    await users.create({
      email: 'locked@example.com',
      name: 'Lee Locked',
      role: 'viewer',
      password: PASSWORD,
    });
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function login(email: string, password = PASSWORD) {
    const res = await gw.api(`/console/api/session`, {
      key: null,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const cookie = res.headers.get('set-cookie') ?? '';
    return {
      res,
      cookie: cookie.split(';')[0],
      setCookie: cookie,
      body: res.ok ? await json(res) : await json(res),
    };
  }

  const asUser = (cookie: string, path: string, init: RequestInit = {}) =>
    gw.api(path, { ...init, key: null, headers: { ...(init.headers as Record<string, string>), cookie } });

  describe('signing in', () => {
    it('sets an HttpOnly, SameSite=Lax session cookie and returns the user and a CSRF token', async () => {
      const { res, setCookie, body } = await login('dpo@example.com');
      expect(res.status).toBe(200);
      expect(setCookie).toMatch(/^cg_session=[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
      expect(body.user).toMatchObject({ email: 'dpo@example.com', role: 'dpo' });
      expect(body.csrf_token).toEqual(expect.any(String));
      expect(JSON.stringify(body)).not.toContain('password');
    });

    it('stores only an scrypt hash of the password and only a hash of the session token', async () => {
      const { cookie } = await login('dpo@example.com');
      const token = decodeURIComponent(cookie.split('=')[1]);
      const [user] = await db.query<{ password_hash: string }>(
        `SELECT password_hash FROM console_user WHERE email = 'dpo@example.com'`,
      );
      expect(user.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
      expect(user.password_hash).not.toContain(PASSWORD);
      const sessions = await db.query<{ token_hash: Buffer }>(`SELECT token_hash FROM console_session`);
      expect(sessions.every((s) => !s.token_hash.toString('utf8').includes(token))).toBe(true);
    });

    it('refuses a wrong password with 401 naming no more than "wrong email or password"', async () => {
      const { res, body } = await login('dpo@example.com', 'not the password');
      expect(res.status).toBe(401);
      expect(body.code).toBe('login_failed');
      const unknown = await login('nobody@example.com', 'whatever whatever');
      expect(unknown.res.status).toBe(401);
      expect(unknown.body.detail).toBe(body.detail);
    });

    it('locks the account after five failures, even against the right password, saying no more than before', async () => {
      const refusals = [];
      for (let i = 0; i < 5; i++) refusals.push(await login('locked@example.com', `wrong password ${i}`));
      expect(refusals.map((r) => r.res.status)).toEqual([401, 401, 401, 401, 401]);
      const right = await login('locked@example.com');
      expect(right.res.status).toBe(401);
      // A locked account is not told apart from a wrong password (that would enumerate accounts).
      expect(right.body).toEqual(refusals[0].body);
    });
  });

  describe('a session', () => {
    it('authenticates API reads for its role', async () => {
      const { cookie } = await login('dpo@example.com');
      expect((await asUser(cookie, '/v1/connections')).status).toBe(200);
      expect((await asUser(cookie, '/console/api/session')).status).toBe(200);
    });

    it('refuses a change without the CSRF token, and accepts it with the token', async () => {
      const { cookie, body } = await login('dpo@example.com');
      const event = {
        event_id: 'console-1',
        phone: '+16505551234',
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        captured_at: '2026-11-01T10:00:00Z',
      };
      // consent:write is not a DPO scope, so use a route a DPO may change: retrying a delivery that does not exist.
      const forged = await asUser(cookie, '/v1/deliveries/00000000-0000-4000-8000-000000000000/retry', {
        method: 'POST',
      });
      expect(forged.status).toBe(403);
      expect((await json(forged)).errors[0].field).toBe('x-csrf-token');
      const real = await asUser(cookie, '/v1/deliveries/00000000-0000-4000-8000-000000000000/retry', {
        method: 'POST',
        headers: { 'x-csrf-token': body.csrf_token },
      });
      expect(real.status).toBe(404);
      const notAllowed = await asUser(cookie, '/v1/consent-events', {
        method: 'POST',
        headers: { 'x-csrf-token': body.csrf_token, 'content-type': 'application/json' },
        body: JSON.stringify(event),
      });
      expect(notAllowed.status).toBe(403);
    });

    it('keeps a viewer away from person-level data', async () => {
      const { cookie } = await login('viewer@example.com');
      expect((await asUser(cookie, '/v1/consents?phone=%2B16505551234')).status).toBe(403);
      expect((await asUser(cookie, '/v1/api-keys')).status).toBe(403);
      expect((await asUser(cookie, '/v1/audit')).status).toBe(403);
      expect((await asUser(cookie, '/v1/connections')).status).toBe(200);
    });

    it('ends on sign-out', async () => {
      const { cookie, body } = await login('viewer@example.com');
      const out = await asUser(cookie, '/console/api/session', {
        method: 'DELETE',
        headers: { 'x-csrf-token': body.csrf_token },
      });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
      expect((await asUser(cookie, '/v1/connections')).status).toBe(401);
    });

    it('ends when the user is disabled', async () => {
      const { cookie } = await login('viewer@example.com');
      const [viewer] = await db.query<{ id: string }>(
        `SELECT id FROM console_user WHERE email = 'viewer@example.com'`,
      );
      const res = await gw.api(`/v1/users/${viewer.id}`, { method: 'PATCH', json: { disabled: true } });
      expect(res.status).toBe(200);
      expect((await asUser(cookie, '/v1/connections')).status).toBe(401);
      await gw.api(`/v1/users/${viewer.id}`, { method: 'PATCH', json: { disabled: false } });
    });
  });

  describe('the audit log', () => {
    it('records who changed what, and who looked at a person, from where', async () => {
      await gw.api('/v1/consent-events', {
        method: 'POST',
        json: {
          event_id: 'audit-1',
          phone: '+16505551234',
          purpose: 'marketing',
          channel: 'whatsapp',
          status: 'granted',
          captured_at: '2026-11-01T10:00:00Z',
        },
      });
      const { cookie } = await login('dpo@example.com');
      const lookup = await asUser(cookie, '/v1/consents?phone=%2B16505551234');
      expect(lookup.status).toBe(200);
      const subjectId = (await json(lookup)).subject_id;

      const audit = await json(await asUser(cookie, '/v1/audit?limit=50'));
      const write = audit.events.find((e: { action: string }) => e.action === 'POST /v1/consent-events');
      expect(write.actor).toMatchObject({ type: 'api_key', name: 'bootstrap' });
      expect(write.ip).toBe('127.0.0.1');
      const look = audit.events.find((e: { action: string }) => e.action === 'person.consents');
      expect(look.actor).toMatchObject({ type: 'user', name: 'dpo@example.com' });
      expect(look.target).toEqual({ type: 'subject', id: subjectId });
      expect(look.details.lookup).toEqual(['phone']);
      // Lookups record which identifier was used, never its value.
      expect(JSON.stringify(audit.events)).not.toContain('16505551234');
      expect(audit.chain).toMatchObject({ valid: true, first_broken_seq: null });
      expect(audit.chain.checked).toBeGreaterThanOrEqual(audit.events.length);
      expect(
        audit.events.some(
          (e: { action: string; outcome: string }) => e.action === 'session.login' && e.outcome === 'failure',
        ),
      ).toBe(true);
    });

    it('is refused UPDATE and DELETE by the database', async () => {
      await expect(db.query(`UPDATE audit_event SET action = 'x'`)).rejects.toThrow(/append-only/);
      await expect(db.query(`DELETE FROM audit_event`)).rejects.toThrow(/append-only/);
    });

    it('reports the first entry that no longer follows the chain when one is altered behind its back', async () => {
      const [victim] = await db.query<{ seq: string }>(
        `SELECT seq FROM audit_event ORDER BY seq LIMIT 1 OFFSET 2`,
      );
      await db.query(`ALTER TABLE audit_event DISABLE TRIGGER trg_audit_event_append_only`);
      await db.query(`UPDATE audit_event SET actor_name = 'someone else' WHERE seq = $1`, [victim.seq]);
      await db.query(`ALTER TABLE audit_event ENABLE TRIGGER trg_audit_event_append_only`);
      // Before the verified checkpoint: found by the full walk (daily, or on demand), not on every read.
      const chain = await json(await gw.api('/v1/audit/verify?full=true'));
      expect(chain).toMatchObject({ valid: false, first_broken_seq: Number(victim.seq) });
    });
  });
});
