import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyService } from './api-key.service';
import { IS_PUBLIC, REQUIRED_SCOPES, type ApiPrincipal } from './auth.decorators';
import { InsufficientScopeError, UnauthenticatedError } from './auth.errors';
import type { Scope } from './scopes';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

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
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; principal?: ApiPrincipal }>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthenticatedError('Send an API key as "Authorization: Bearer <key>".');
    const cached = this.keys.cachedPrincipal(token);
    const principal = cached !== undefined ? cached : await this.keys.authenticate(token);
    if (!principal) throw new UnauthenticatedError('The API key is not valid or has been revoked.');

    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, targets);
    if (!required || required.length === 0) {
      throw new InsufficientScopeError('This route declares no scope, so no key may call it.');
    }
    const missing = required.filter((s) => !principal.scopes.includes(s));
    if (missing.length)
      throw new InsufficientScopeError(`This API key lacks the scope ${missing.join(', ')}.`);
    request.principal = principal;
    return true;
  }
}
