import { Injectable } from '@nestjs/common';
import { Clock } from '../../platform/clock/clock';
import { AuditService } from '../audit';
import { LoginFailedError } from './auth.errors';
import { ConsoleUserRepository } from './console-user.repository';
import { failureLocks, lockEnd, LOCKOUT_POLICY } from './lockout-policy';
import { DUMMY_HASH, Passwords } from './password';
import { SessionService, type ClientMeta } from './session.service';
import { UserService, userView, type UserRow } from './user.service';

const WRONG_CREDENTIALS = `Wrong email or password. After ${LOCKOUT_POLICY.maxFailures} failed attempts an account is locked for ${LOCKOUT_POLICY.lockoutMs / 60_000} minutes; an admin can unlock it.`;

/** A user id no row has (the nil UUID is never generated). */
const NO_SUCH_USER = '00000000-0000-0000-0000-000000000000';

type Refusal = 'unknown_user' | 'locked' | 'wrong_password';

/**
 * Console sign-in. An unknown email, a locked account and a wrong password are refused with the same
 * answer after the same work (one password hash each), so a caller cannot tell which it was: telling them
 * would enumerate the accounts. Why an attempt was refused is in the audit log only.
 */
@Injectable()
export class SignInService {
  constructor(
    private readonly users: UserService,
    private readonly userRows: ConsoleUserRepository,
    private readonly sessions: SessionService,
    private readonly passwords: Passwords,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async login(email: string, password: string, meta: ClientMeta) {
    const now = new Date(this.clock.now());
    const found = await this.users.byEmail(email);
    const user = found && !found.disabled_at ? found : null;
    // Counted before the password is checked (see lockout-policy.ts). An unknown email goes through the
    // same statements, on a row that does not exist, so both paths make the same round trips.
    const decision = await this.userRows.admitSignInAttempt(user?.id ?? NO_SUCH_USER, now);
    // Exactly one hash on every path. While locked the user's hash is not used, not even for the right
    // password: no oracle for the guesser.
    const admitted = user !== null && decision !== null && decision.admitted;
    const matches = await this.passwords.verify(password, admitted ? user.password_hash : DUMMY_HASH);
    if (!user || !decision) return this.refuse(null, meta, 'unknown_user');
    if (!decision.admitted) return this.refuse(user, meta, 'locked');
    if (!matches) {
      const locks = failureLocks(decision.attempt);
      if (locks) await this.userRows.lockUntil(user.id, lockEnd(now));
      return this.refuse(user, meta, 'wrong_password', { locked: locks });
    }
    await this.userRows.recordLogin(user.id, now);
    const session = await this.sessions.start(user.id, meta);
    await this.audit.record({
      actor: { type: 'user', id: user.id, name: user.email },
      action: 'session.login',
      ip: meta.ip,
    });
    return { ...session, user: userView({ ...user, locked_until: null }) };
  }

  private async refuse(
    user: UserRow | null,
    meta: ClientMeta,
    reason: Refusal,
    details: Record<string, unknown> = {},
  ): Promise<never> {
    await this.audit.record({
      actor: user
        ? { type: 'user', id: user.id, name: user.email }
        : { type: 'anonymous', id: null, name: null },
      action: 'session.login',
      ip: meta.ip,
      outcome: 'failure',
      // The status the caller got (401); the reason for the DPO only. An unknown email is not recorded: it
      // may be someone else's address or a password typed in the wrong field.
      details: { status: 401, reason, ...details },
    });
    // The same words for all three reasons; the lockout is mentioned so a locked-out person knows to wait.
    throw new LoginFailedError(WRONG_CREDENTIALS, [
      { field: 'password', message: 'wrong email or password' },
    ]);
  }
}
