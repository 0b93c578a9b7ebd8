import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { AuditService } from '../audit';
import type { ApiPrincipal } from '../../platform/http/auth.decorators';
import { AccountLockedError, LoginFailedError } from './auth.errors';
import { ConsoleSessionRepository } from './console-session.repository';
import { ConsoleUserRepository } from './console-user.repository';
import { DUMMY_HASH, verifyPassword } from './password';
import { ROLE_SCOPES, type Role } from './roles';
import { UserService, userView, type UserRow } from './user.service';

export const SESSION_COOKIE = 'cg_session';
const SESSION_TTL_MS = 12 * 3600_000;
const IDLE_TTL_MS = 2 * 3600_000;
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;

export interface SessionPrincipal extends ApiPrincipal {
  kind: 'user';
  userId: string;
  role: Role;
  csrfToken: string;
}

/** Reads one cookie from a Cookie header (no dependency on a cookie plugin). */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/**
 * Console sessions: a random token in an HttpOnly, SameSite=Lax cookie (Secure behind https), stored
 * only as its hash; a CSRF token per session for every unsafe request; lockout after repeated failures.
 */
@Injectable()
export class SessionService {
  constructor(
    private readonly users: UserService,
    private readonly userRows: ConsoleUserRepository,
    private readonly sessionRows: ConsoleSessionRepository,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get secureCookies(): boolean {
    return this.config.publicBaseUrl.startsWith('https:');
  }

  cookie(token: string, maxAgeSeconds: number): string {
    return [
      `${SESSION_COOKIE}=${encodeURIComponent(token)}`,
      'Path=/',
      'HttpOnly',
      // Lax, not Strict: the browser coming back from a vendor's OAuth consent screen (a cross-site
      // top-level GET) must still be recognised; every unsafe request also needs the CSRF token.
      'SameSite=Lax',
      `Max-Age=${maxAgeSeconds}`,
      ...(this.secureCookies ? ['Secure'] : []),
    ].join('; ');
  }

  async login(email: string, password: string, meta: { ip: string | null; userAgent: string | null }) {
    const user = await this.users.byEmail(email);
    const actor = { type: 'anonymous' as const, id: null, name: null };
    if (!user || user.disabled_at) {
      await verifyPassword(password, DUMMY_HASH);
      await this.audit.record({
        actor,
        action: 'session.login',
        ip: meta.ip,
        outcome: 'failure',
        details: { reason: 'unknown_user' },
      });
      throw new LoginFailedError('Wrong email or password.', [
        { field: 'password', message: 'wrong email or password' },
      ]);
    }
    if (user.locked_until && new Date(user.locked_until) > new Date()) {
      await this.audit.record({
        actor: { type: 'user', id: user.id, name: user.email },
        action: 'session.login',
        ip: meta.ip,
        outcome: 'failure',
        details: { reason: 'locked' },
      });
      throw new AccountLockedError(
        `Too many failed attempts; try again after ${new Date(user.locked_until).toISOString()}.`,
        [{ field: 'email', message: 'account locked' }],
      );
    }
    if (!(await verifyPassword(password, user.password_hash))) {
      const attempts = await this.userRows.recordFailedLogin(user.id, MAX_FAILED_LOGINS, LOCKOUT_MS / 1000);
      const locked = attempts >= MAX_FAILED_LOGINS;
      await this.audit.record({
        actor: { type: 'user', id: user.id, name: user.email },
        action: 'session.login',
        ip: meta.ip,
        outcome: 'failure',
        details: { reason: 'wrong_password', locked },
      });
      if (locked) {
        throw new AccountLockedError('Too many failed attempts; the account is locked for 15 minutes.', [
          { field: 'email', message: 'account locked' },
        ]);
      }
      throw new LoginFailedError('Wrong email or password.', [
        { field: 'password', message: 'wrong email or password' },
      ]);
    }
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    await this.sessionRows.insert(
      {
        token_hash: CryptoService.sha256(token),
        user_id: user.id,
        csrf_token: csrfToken,
        ip: meta.ip,
        user_agent: meta.userAgent?.slice(0, 300) ?? null,
      },
      SESSION_TTL_MS / 1000,
    );
    await this.userRows.recordLogin(user.id);
    await this.audit.record({
      actor: { type: 'user', id: user.id, name: user.email },
      action: 'session.login',
      ip: meta.ip,
    });
    return { token, csrfToken, user: userView(user), maxAgeSeconds: SESSION_TTL_MS / 1000 };
  }

  /** The signed-in user a session cookie stands for, or null (expired, idle too long, unknown). */
  async authenticate(token: string): Promise<{ principal: SessionPrincipal; user: UserRow } | null> {
    const row = await this.sessionRows.touchLive(CryptoService.sha256(token), IDLE_TTL_MS / 1000);
    if (!row) return null;
    return {
      user: row,
      principal: {
        kind: 'user',
        keyId: `user:${row.id}`,
        userId: row.id,
        name: row.email,
        role: row.role,
        scopes: ROLE_SCOPES[row.role],
        csrfToken: row.csrf_token,
      },
    };
  }

  async logout(token: string): Promise<void> {
    await this.sessionRows.delete(CryptoService.sha256(token));
  }
}
