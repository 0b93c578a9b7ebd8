import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyService } from './api-key.service';
import { IS_PUBLIC, REQUIRED_SCOPES, type ApiPrincipal } from './auth.decorators';
import { InsufficientScopeError, UnauthenticatedError } from './auth.errors';
import type { Scope } from './scopes';

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
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthenticatedError('Send an API key as "Authorization: Bearer <key>".');
    const principal = await this.keys.authenticate(match[1]);
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
