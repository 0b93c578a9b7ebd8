import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { AppError } from '../../platform/http/problem';
import { AuditService } from '../audit/audit.service';
import type { ApiPrincipal } from '../../platform/http/auth.decorators';
import { DUMMY_HASH, verifyPassword } from './password';
import { ROLE_SCOPES, type Role } from './roles';
import { UserService, userView, type UserRow } from './user.service';

export const SESSION_COOKIE = 'cg_session';
const SESSION_TTL_MS = 12 * 3600_000;
const IDLE_TTL_MS = 2 * 3600_000;
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;

export class LoginFailedError extends AppError {
  readonly status = 401;
  readonly code = 'login_failed';
}

export class AccountLockedError extends AppError {
  readonly status = 423;
  readonly code = 'account_locked';
}

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
    private readonly dataSource: DataSource,
    private readonly users: UserService,
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
      const [rows]: [{ failed_attempts: number }[], number] = await this.dataSource.query(
        `UPDATE console_user SET failed_attempts = failed_attempts + 1,
                locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
          WHERE id = $1 RETURNING failed_attempts`,
        [user.id, MAX_FAILED_LOGINS, LOCKOUT_MS / 1000],
      );
      const locked = (rows[0]?.failed_attempts ?? 0) >= MAX_FAILED_LOGINS;
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
    await this.dataSource.query(
      `INSERT INTO console_session (token_hash, user_id, csrf_token, ip, user_agent, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
      [
        CryptoService.sha256(token),
        user.id,
        csrfToken,
        meta.ip,
        meta.userAgent?.slice(0, 300) ?? null,
        SESSION_TTL_MS / 1000,
      ],
    );
    await this.dataSource.query(
      `UPDATE console_user SET failed_attempts = 0, locked_until = NULL, last_login_at = now() WHERE id = $1`,
      [user.id],
    );
    await this.audit.record({
      actor: { type: 'user', id: user.id, name: user.email },
      action: 'session.login',
      ip: meta.ip,
    });
    return { token, csrfToken, user: userView(user), maxAgeSeconds: SESSION_TTL_MS / 1000 };
  }

  /** The signed-in user a session cookie stands for, or null (expired, idle too long, unknown). */
  async authenticate(token: string): Promise<{ principal: SessionPrincipal; user: UserRow } | null> {
    const [rows]: [(UserRow & { csrf_token: string })[], number] = await this.dataSource.query(
      `UPDATE console_session s SET last_seen_at = now()
         FROM console_user u
        WHERE s.token_hash = $1 AND u.id = s.user_id AND u.disabled_at IS NULL
          AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => $2)
        RETURNING u.*, s.csrf_token`,
      [CryptoService.sha256(token), IDLE_TTL_MS / 1000],
    );
    const row = rows[0];
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
    await this.dataSource.query(`DELETE FROM console_session WHERE token_hash = $1`, [
      CryptoService.sha256(token),
    ]);
  }
}
