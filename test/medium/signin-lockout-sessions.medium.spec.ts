import type { INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '../../src/config/app-config';
import { AuditService } from '../../src/modules/audit';
import { LoginFailedError } from '../../src/modules/auth/auth.errors';
import { ConsoleSessionRepository } from '../../src/modules/auth/console-session.repository';
import { ConsoleUserRepository } from '../../src/modules/auth/console-user.repository';
import { LOCKOUT_POLICY } from '../../src/modules/auth/lockout-policy';
import { DUMMY_HASH, Passwords } from '../../src/modules/auth/password';
import { IDLE_TTL_MS, SESSION_TTL_MS, SessionService } from '../../src/modules/auth/session.service';
import { SignInService } from '../../src/modules/auth/sign-in.service';
import { UserService } from '../../src/modules/auth/user.service';
import { ManualClock } from '../../src/platform/clock/manual-clock';
import { startTestContext, testConfig } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

const PASSWORD = 'correct horse battery staple';
const MINUTE = 60_000;
const META = { ip: '203.0.113.7', userAgent: 'spec-agent/1.0' };
let sequence = 0;

/** Records every hash computed; can hold the checks against real hashes until released. */
class WatchedPasswords extends Passwords {
  readonly checked: string[] = [];
  private gate: Promise<void> | null = null;
  private open: () => void = () => undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.gate = null;
    this.open();
  }

  override async verify(password: string, stored: string): Promise<boolean> {
    this.checked.push(stored === DUMMY_HASH ? 'dummy' : 'user');
    if (this.gate && stored !== DUMMY_HASH) await this.gate;
    return super.verify(password, stored);
  }
}

/**
 * Sign-in lockout and console sessions against PostgreSQL, on a clock the spec moves: failures decay,
 * locks run out, idle and old sessions end and are deleted, with no waiting.
 */
describe('console sign-in lockout and sessions', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let ctx: INestApplicationContext;
  let clock: ManualClock;
  let passwords: WatchedPasswords;
  let sessions: SessionService;
  let signIn: SignInService;

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    ctx = await startTestContext(db.url, config);
  });

  beforeEach(() => {
    clock = new ManualClock(Date.now());
    passwords = new WatchedPasswords();
    sessions = new SessionService(ctx.get(ConsoleSessionRepository), clock, config);
    signIn = new SignInService(
      ctx.get(UserService),
      ctx.get(ConsoleUserRepository),
      sessions,
      passwords,
      ctx.get(AuditService),
      clock,
    );
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  async function newUser(): Promise<{ id: string; email: string }> {
    const email = `user${++sequence}@example.com`;
    const user = await ctx
      .get(UserService)
      .create({ email, name: 'Spec', role: 'viewer', password: PASSWORD });
    return { id: user.id, email };
  }

  /** The refusal a sign-in ended with, or 'signed in'. */
  const attempt = (email: string, password: string) =>
    signIn.login(email, password, META).then(
      () => 'signed in',
      (error: Error) => error,
    );

  async function failTimes(email: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) expect(await attempt(email, `wrong guess ${i}`)).toBeInstanceOf(Error);
  }

  describe('refusals', () => {
    it('answer an unknown email, a locked account and a wrong password alike, after one hash each', async () => {
      const { email } = await newUser();
      const wrong = await attempt(email, 'not the password');
      const unknown = await attempt('nobody@example.com', 'not the password');
      await failTimes(email, LOCKOUT_POLICY.maxFailures - 1);
      passwords.checked.length = 0;
      const locked = await attempt(email, PASSWORD);
      expect(passwords.checked).toEqual(['dummy']);
      const seen = (e: unknown) => {
        const error = e as LoginFailedError;
        return { kind: error.constructor, message: error.message, code: error.code, errors: error.errors };
      };
      expect(seen(wrong)).toMatchObject({ kind: LoginFailedError, code: 'login_failed' });
      expect(seen(locked)).toEqual(seen(wrong));
      expect(seen(unknown)).toEqual(seen(wrong));
    });

    it('compute the password hash for an unknown email too', async () => {
      await attempt('nobody-at-all@example.com', 'a guess');
      expect(passwords.checked).toEqual(['dummy']);
    });
  });

  describe('the lockout', () => {
    it('checks at most maxFailures of a burst, and refuses the right password arriving during it', async () => {
      const { id, email } = await newUser();
      passwords.hold();
      const burst = Array.from({ length: 19 }, (_, i) => attempt(email, `parallel guess ${i}`));
      // Every guess of the burst is decided while the first ones are still being checked...
      await waitFor(() => Promise.resolve(passwords.checked.length >= 19));
      expect(passwords.checked.filter((c) => c === 'user')).toHaveLength(LOCKOUT_POLICY.maxFailures);
      // ...so the right password, sent now, is refused without being checked.
      const right = attempt(email, PASSWORD);
      await waitFor(() => Promise.resolve(passwords.checked.length >= 20));
      passwords.release();
      const outcomes = await Promise.all([...burst, right]);
      expect(outcomes.filter((o) => o === 'signed in')).toHaveLength(0);
      expect(passwords.checked.filter((c) => c === 'user')).toHaveLength(LOCKOUT_POLICY.maxFailures);
      expect(passwords.checked).toHaveLength(20);
      expect((await counters(id)).locked_until!.getTime()).toBe(clock.now() + LOCKOUT_POLICY.lockoutMs);
    });

    it('locks after maxFailures failures, even against the right password, until the lock runs out', async () => {
      const { email } = await newUser();
      await failTimes(email, LOCKOUT_POLICY.maxFailures);
      clock.advance(LOCKOUT_POLICY.lockoutMs - MINUTE);
      expect(await attempt(email, PASSWORD)).toBeInstanceOf(Error);
      clock.advance(MINUTE);
      expect(await attempt(email, PASSWORD)).toBe('signed in');
    });

    it('lets failures decay: those older than the window no longer count', async () => {
      const { id, email } = await newUser();
      await failTimes(email, LOCKOUT_POLICY.maxFailures - 1);
      clock.advance(LOCKOUT_POLICY.windowMs);
      await failTimes(email, LOCKOUT_POLICY.maxFailures - 1);
      expect((await counters(id)).locked_until).toBeNull();
      expect(await attempt(email, PASSWORD)).toBe('signed in');
      expect(await counters(id)).toMatchObject({ failed_attempts: 0, locked_until: null });
    });

    it('is lifted by an admin unlock at once', async () => {
      const { id, email } = await newUser();
      await failTimes(email, LOCKOUT_POLICY.maxFailures);
      expect(await attempt(email, PASSWORD)).toBeInstanceOf(Error);
      await ctx.get(UserService).unlock(id);
      expect(await attempt(email, PASSWORD)).toBe('signed in');
    });
  });

  describe('sessions', () => {
    async function signedIn() {
      const { email } = await newUser();
      const result = await signIn.login(email, PASSWORD, META);
      return result.token;
    }

    const stored = async (token: string) =>
      db.query<{ ip: string; user_agent: string }>(
        `SELECT ip, user_agent FROM console_session WHERE token_hash = sha256($1::text::bytea)`,
        [token],
      );

    it('keep the IP and user agent only while they live', async () => {
      const token = await signedIn();
      expect(await stored(token)).toEqual([{ ip: META.ip, user_agent: META.userAgent }]);
    });

    it('end after IDLE_TTL_MS unused, and the sweep deletes them', async () => {
      const token = await signedIn();
      clock.advance(IDLE_TTL_MS - MINUTE);
      expect(await sessions.authenticate(token)).not.toBeNull();
      clock.advance(IDLE_TTL_MS);
      expect(await sessions.authenticate(token)).toBeNull();
      expect(await sessions.deleteEnded()).toBeGreaterThanOrEqual(1);
      expect(await stored(token)).toEqual([]);
    });

    it('end SESSION_TTL_MS after sign-in however active, and the sweep deletes them', async () => {
      const token = await signedIn();
      for (let used = 0; used + IDLE_TTL_MS / 2 < SESSION_TTL_MS; used += IDLE_TTL_MS / 2) {
        clock.advance(IDLE_TTL_MS / 2);
        expect(await sessions.authenticate(token)).not.toBeNull();
      }
      clock.advance(IDLE_TTL_MS / 2);
      expect(await sessions.authenticate(token)).toBeNull();
      await sessions.deleteEnded();
      expect(await stored(token)).toEqual([]);
    });

    it('are left alone by the sweep while they live', async () => {
      const token = await signedIn();
      clock.advance(IDLE_TTL_MS - MINUTE);
      await sessions.deleteEnded();
      expect(await stored(token)).toHaveLength(1);
      expect(await sessions.authenticate(token)).not.toBeNull();
    });
  });

  const counters = async (id: string) =>
    (
      await db.query<{ failed_attempts: number; locked_until: Date | null }>(
        `SELECT failed_attempts, locked_until FROM console_user WHERE id = $1`,
        [id],
      )
    )[0];
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not met');
}
