import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyService } from './api-key.service';
import { IS_PUBLIC, REQUIRED_SCOPES, type ApiPrincipal } from '../../platform/http/auth.decorators';
import { InsufficientScopeError, UnauthenticatedError } from './auth.errors';
import type { Scope } from '../../platform/http/scopes';
import { readCookie, SESSION_COOKIE, SessionService } from './session.service';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { AUDIT_READ } from '../../platform/http/audit.decorators';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The key of an `Authorization: Bearer <key>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = header ? BEARER.exec(header) : null;
  return match ? match[1] : null;
}

/**
 * Global guard: every route needs `Authorization: Bearer <api key>` unless it is marked @Public().
 * A route with no @RequireScopes is refused too, so a new route cannot ship unprotected by accident.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
    private readonly sessions: SessionService,
  ) {}

  /**
   * An API key (automation) or, without one, a console session cookie (people). A session's unsafe
   * requests must carry its CSRF token: the cookie alone is what a forged cross-site request would have.
   */
  private async principalOf(request: {
    method: string;
    headers: Record<string, string | undefined>;
  }): Promise<ApiPrincipal> {
    const token = bearerToken(request.headers.authorization);
    if (token) {
      const cached = this.keys.cachedPrincipal(token);
      const principal = cached !== undefined ? cached : await this.keys.authenticate(token);
      if (!principal)
        throw new UnauthenticatedError('The API key is not valid, has been revoked or has expired.');
      return principal;
    }
    const sessionToken = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!sessionToken) throw new UnauthenticatedError('Send an API key as "Authorization: Bearer <key>".');
    const session = await this.sessions.authenticate(sessionToken);
    if (!session) throw new UnauthenticatedError('Your console session has expired; sign in again.');
    if (!SAFE_METHODS.has(request.method)) {
      const csrf = request.headers['x-csrf-token'];
      if (!csrf || !CryptoService.safeEqual(csrf, session.principal.csrfToken)) {
        throw new InsufficientScopeError('Missing or wrong X-CSRF-Token.', [
          { field: 'x-csrf-token', message: 'missing or wrong' },
        ]);
      }
    }
    return session.principal;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<{
      method: string;
      headers: Record<string, string | undefined>;
      principal?: ApiPrincipal;
      authenticatedAs?: ApiPrincipal;
    }>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      // A public route that is an audited action (the OAuth callback): whoever the request is signed in as,
      // if anyone, is named in the log; it is not required.
      if (this.reflector.get<string | undefined>(AUDIT_READ, context.getHandler()) !== undefined)
        request.authenticatedAs = await this.principalOf(request).catch(() => undefined);
      return true;
    }

    const principal = await this.principalOf(request);
    // Kept for the audit log, which names who was refused when the scope check below refuses them.
    request.authenticatedAs = principal;
    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, targets);
    if (!required || required.length === 0) {
      throw new InsufficientScopeError('This route declares no scope, so no key may call it.');
    }
    const missing = required.filter((s) => !principal.scopes.includes(s));
    if (missing.length)
      throw new InsufficientScopeError(
        principal.kind === 'user'
          ? `Your role (${principal.role}) does not allow this (${missing.join(', ')}).`
          : `This API key lacks the scope ${missing.join(', ')}.`,
      );
    request.principal = principal;
    return true;
  }
}
