import { LOCKOUT_POLICY } from '../../../src/modules/auth/lockout-policy';
import { DUMMY_HASH, Passwords } from '../../../src/modules/auth/password';
import { UserService } from '../../../src/modules/auth/user.service';
import { json, startTestApp, TEST_API_KEY, testConfig, type TestApp } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const PASSWORD = 'correct horse battery staple';

/**
 * Attacks on console sign-in, sessions, key minting and user administration, each performed against the
 * running gateway and shown to fail.
 */
describe('security: sign-in, sessions, keys and roles', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let users: UserService;
  let sequence = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
    users = gw.app.get(UserService);
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function newUser(role: 'viewer' | 'dpo' | 'admin' = 'viewer') {
    const email = `person${++sequence}@example.com`;
    const user = await users.create({ email, name: 'Target', role, password: PASSWORD });
    return { id: user.id, email };
  }

  const signIn = (email: string, password: string) =>
    gw.api('/console/api/session', { key: null, method: 'POST', json: { email, password } });

  /** What a caller can observe of a refusal: status, body and the headers that could differ. */
  async function observed(res: Response) {
    return {
      status: res.status,
      body: await json(res),
      contentType: res.headers.get('content-type'),
      setCookie: res.headers.get('set-cookie'),
    };
  }

  const lockedUntil = async (id: string) =>
    (
      await db.query<{ locked_until: Date | null }>(`SELECT locked_until FROM console_user WHERE id = $1`, [
        id,
      ])
    )[0].locked_until;

  describe('guessing a password in parallel', () => {
    it('checks at most the allowed number of guesses; the right one arriving meanwhile does not sign in', async () => {
      const { id, email } = await newUser();
      const hashes = gw.app.get(Passwords);
      // The checks against the real hash are held until every wrong guess has been decided, so the right
      // guess arrives while they are all still in flight: the race the old lock check lost.
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const real = hashes.verify.bind(hashes);
      const checked: string[] = [];
      jest.spyOn(hashes, 'verify').mockImplementation(async (password, stored) => {
        checked.push(stored === DUMMY_HASH ? 'dummy' : 'user');
        if (stored !== DUMMY_HASH) await held;
        return real(password, stored);
      });

      // A request the HTTP layer's rate limit answers (429) never reaches the password check.
      let answeredEarly = 0;
      const send = (password: string) =>
        signIn(email, password).then((res) => {
          if (res.status === 429) answeredEarly++;
          return res;
        });
      const decided = () => checked.length + answeredEarly;
      const wrong = Array.from({ length: 99 }, (_, i) => send(`guess number ${i}`));
      await until(() => decided() >= 99);
      const right = send(PASSWORD);
      await until(() => decided() >= 100);
      release();
      const responses = await Promise.all([...wrong, right]);

      expect(responses.filter((r) => r.ok)).toEqual([]);
      expect(responses.map((r) => r.status).filter((s) => s !== 401 && s !== 429)).toEqual([]);
      expect(responses.every((r) => !r.headers.get('set-cookie'))).toBe(true);
      expect(checked.filter((c) => c === 'user')).toHaveLength(LOCKOUT_POLICY.maxFailures);
      expect(await lockedUntil(id)).not.toBeNull();
      // Locked: the right password, now on its own, still does not sign in.
      expect((await signIn(email, PASSWORD)).status).toBe(401);
    });

    it('is lifted by an admin through POST /v1/users/{id}/unlock, which is audited', async () => {
      const { id, email } = await newUser();
      for (let i = 0; i < LOCKOUT_POLICY.maxFailures; i++) await signIn(email, `wrong ${i}`);
      expect((await signIn(email, PASSWORD)).status).toBe(401);

      const unlocked = await gw.api(`/v1/users/${id}/unlock`, { method: 'POST' });
      expect(unlocked.status).toBe(200);
      expect(await json(unlocked)).toMatchObject({ id, locked_until: null });
      expect((await signIn(email, PASSWORD)).status).toBe(200);
      const audit = await json(await gw.api('/v1/audit?limit=20'));
      expect(audit.events).toContainEqual(
        expect.objectContaining({
          action: 'POST /v1/users/:id/unlock',
          outcome: 'success',
          target: { type: 'users', id },
        }),
      );
    });
  });

  describe('enumerating accounts', () => {
    it('gets the same answer for an unknown email, a wrong password and a locked account', async () => {
      const { email } = await newUser();
      const locked = await newUser();
      for (let i = 0; i < LOCKOUT_POLICY.maxFailures; i++) await signIn(locked.email, `wrong ${i}`);

      const wrongPassword = await observed(await signIn(email, 'not the password'));
      const unknownEmail = await observed(await signIn('nobody@example.com', 'not the password'));
      const lockedAccount = await observed(await signIn(locked.email, PASSWORD));
      expect(wrongPassword).toMatchObject({ status: 401, setCookie: null, body: { code: 'login_failed' } });
      expect(unknownEmail).toEqual(wrongPassword);
      expect(lockedAccount).toEqual(wrongPassword);
    });

    it('costs one password hash whichever the case, an unknown email included', async () => {
      const { email } = await newUser();
      const locked = await newUser();
      for (let i = 0; i < LOCKOUT_POLICY.maxFailures; i++) await signIn(locked.email, `wrong ${i}`);
      const verify = jest.spyOn(gw.app.get(Passwords), 'verify');

      await signIn('nobody@example.com', 'a guess');
      expect(verify.mock.calls.map(([, stored]) => stored)).toEqual([DUMMY_HASH]);
      await signIn(email, 'a wrong guess');
      await signIn(locked.email, PASSWORD);
      expect(verify).toHaveBeenCalledTimes(3);
    });
  });

  describe('a malformed session cookie', () => {
    it.each(['%', '%E0%A4%A', 'abc%zz'])('(%s) is no session: 401, never 500', async (value) => {
      const cookie = `cg_session=${value}`;
      const onApi = await gw.api('/v1/connections', { key: null, headers: { cookie } });
      const onSession = await gw.api('/console/api/session', { key: null, headers: { cookie } });
      const onSignOut = await gw.api('/console/api/session', {
        key: null,
        method: 'DELETE',
        headers: { cookie },
      });
      expect([onApi.status, onSession.status, onSignOut.status]).toEqual([401, 401, 401]);
    });
  });

  describe('minting an API key', () => {
    it('cannot give the new key a scope the minting key lacks (403 naming it), and stores nothing', async () => {
      const minter = await createKey(['keys:admin', 'consent:read']);
      const before = await keyCount();
      const res = await gw.api('/v1/api-keys', {
        key: minter,
        method: 'POST',
        json: { name: 'escalated', scopes: ['consent:read', 'audit:read', 'users:admin'] },
      });
      expect(res.status).toBe(403);
      const problem = await json(res);
      expect(problem.detail).toContain('audit:read, users:admin');
      expect(problem.errors).toEqual([
        { field: 'scopes', message: 'not held by you: audit:read, users:admin' },
      ]);
      expect(await keyCount()).toBe(before);

      const within = await gw.api('/v1/api-keys', {
        key: minter,
        method: 'POST',
        json: { name: 'within', scopes: ['consent:read'] },
      });
      expect(within.status).toBe(201);
    });
  });

  describe('granting a role', () => {
    it('cannot create a user with a role above the caller’s, nor raise or disable one above it', async () => {
      // A key that manages users but holds only a viewer's other scopes.
      const manager = await createKey([
        'users:admin',
        'overview:read',
        'connections:read',
        'deliveries:read',
        'registry:read',
      ]);
      const before = await userCount();
      const created = await gw.api('/v1/users', {
        key: manager,
        method: 'POST',
        json: { email: 'climber@example.com', name: 'Climber', role: 'dpo', password: PASSWORD },
      });
      expect(created.status).toBe(403);
      expect((await json(created)).errors).toEqual([{ field: 'role', message: 'role dpo is above yours' }]);
      expect(await userCount()).toBe(before);

      const viewer = await newUser('viewer');
      const raised = await gw.api(`/v1/users/${viewer.id}`, {
        key: manager,
        method: 'PATCH',
        json: { role: 'admin' },
      });
      expect(raised.status).toBe(403);
      const admin = await newUser('admin');
      const disabled = await gw.api(`/v1/users/${admin.id}`, {
        key: manager,
        method: 'PATCH',
        json: { disabled: true },
      });
      expect(disabled.status).toBe(403);
      const roles = await db.query<{ id: string; role: string; disabled_at: Date | null }>(
        `SELECT id, role, disabled_at FROM console_user WHERE id = ANY($1)`,
        [[viewer.id, admin.id]],
      );
      expect(roles).toEqual(
        expect.arrayContaining([
          { id: viewer.id, role: 'viewer', disabled_at: null },
          { id: admin.id, role: 'admin', disabled_at: null },
        ]),
      );

      // Within the caller's own scopes a role can be changed; a change must say what it changes.
      const bootstrapRaise = await gw.api(`/v1/users/${viewer.id}`, {
        method: 'PATCH',
        json: { role: 'dpo' },
      });
      expect(await json(bootstrapRaise)).toMatchObject({ id: viewer.id, role: 'dpo' });
      const empty = await gw.api(`/v1/users/${viewer.id}`, { method: 'PATCH', json: {} });
      expect(empty.status).toBe(400);
      expect((await json(empty)).errors).toEqual([expect.objectContaining({ field: 'disabled' })]);

      const allowed = await gw.api('/v1/users', {
        key: manager,
        method: 'POST',
        json: { email: 'peer@example.com', name: 'Peer', role: 'viewer', password: PASSWORD },
      });
      expect(allowed.status).toBe(201);
    });
  });

  async function createKey(scopes: string[]): Promise<string> {
    const res = await gw.api('/v1/api-keys', { method: 'POST', json: { name: `key ${++sequence}`, scopes } });
    expect(res.status).toBe(201);
    return (await json(res)).key as string;
  }

  const keyCount = async () =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM api_key`))[0].n);
  const userCount = async () =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM console_user`))[0].n);
});

describe('security: a revoked bootstrap key', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('stays revoked when the gateway restarts with the same BOOTSTRAP_API_KEY', async () => {
    // The same configuration both times: a restart, not a new gateway.
    const config = testConfig(db.url);
    const first = await startTestApp({ databaseUrl: db.url, config });
    try {
      const keys = (await json(await first.api('/v1/api-keys'))).api_keys as { id: string; name: string }[];
      const bootstrap = keys.find((k) => k.name === 'bootstrap')!;
      expect((await first.api(`/v1/api-keys/${bootstrap.id}`, { method: 'DELETE' })).status).toBe(200);
    } finally {
      await first.close();
    }

    const second = await startTestApp({ databaseUrl: db.url, config });
    try {
      expect((await second.api('/v1/api-keys', { key: TEST_API_KEY })).status).toBe(401);
      const rows = await db.query<{ revoked_at: Date | null }>(
        `SELECT revoked_at FROM api_key WHERE name = 'bootstrap'`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].revoked_at).not.toBeNull();
    } finally {
      await second.close();
    }
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  if (!condition()) throw new Error('condition not met');
}
