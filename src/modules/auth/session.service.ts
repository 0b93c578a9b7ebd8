import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Clock } from '../../platform/clock/clock';
import { CryptoService } from '../../platform/crypto/crypto.service';
import type { ApiPrincipal } from '../../platform/http/auth.decorators';
import { ConsoleSessionRepository } from './console-session.repository';
import { ROLE_SCOPES, type Role } from './roles';
import type { UserRow } from './user.service';

export const SESSION_COOKIE = 'cg_session';
/** Absolute lifetime of a session, however active. */
export const SESSION_TTL_MS = 12 * 3600_000;
/** A session unused this long is over. */
export const IDLE_TTL_MS = 2 * 3600_000;

export interface SessionPrincipal extends ApiPrincipal {
  kind: 'user';
  userId: string;
  role: Role;
  csrfToken: string;
}

/** Where a sign-in came from: kept with the session, and deleted with it. */
export interface ClientMeta {
  ip: string | null;
  userAgent: string | null;
}

/**
 * Reads one cookie from a Cookie header (no dependency on a cookie plugin). A value that does not
 * decode (a stray `%`) is no cookie at all: the caller is simply not signed in.
 */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Console sessions: a random token in an HttpOnly, SameSite=Lax cookie (Secure behind https), stored
 * only as its hash, with a CSRF token for every unsafe request. A session ends SESSION_TTL_MS after
 * sign-in or IDLE_TTL_MS after its last use, and the sweep then deletes it with its IP and user agent.
 */
@Injectable()
export class SessionService {
  constructor(
    private readonly sessionRows: ConsoleSessionRepository,
    private readonly clock: Clock,
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

  /** A new session for a user whose password was just checked. */
  async start(userId: string, meta: ClientMeta) {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const now = new Date(this.clock.now());
    await this.sessionRows.insert({
      token_hash: CryptoService.sha256(token),
      user_id: userId,
      csrf_token: csrfToken,
      ip: meta.ip,
      user_agent: meta.userAgent?.slice(0, 300) ?? null,
      created_at: now,
      last_seen_at: now,
      expires_at: new Date(now.getTime() + SESSION_TTL_MS),
    });
    return { token, csrfToken, maxAgeSeconds: SESSION_TTL_MS / 1000 };
  }

  /** The signed-in user a session cookie stands for, or null (expired, idle too long, unknown). */
  async authenticate(token: string): Promise<{ principal: SessionPrincipal; user: UserRow } | null> {
    const now = new Date(this.clock.now());
    const row = await this.sessionRows.touchLive(
      CryptoService.sha256(token),
      now,
      new Date(now.getTime() - IDLE_TTL_MS),
    );
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

  /** Deletes every session that can no longer be used; returns how many. */
  deleteEnded(): Promise<number> {
    const now = new Date(this.clock.now());
    return this.sessionRows.deleteEnded(now, new Date(now.getTime() - IDLE_TTL_MS));
  }
}
