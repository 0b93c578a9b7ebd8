import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Scope } from './scopes';

export const IS_PUBLIC = 'cg:public';
export const REQUIRED_SCOPES = 'cg:scopes';

/** A route that authenticates its caller some other way (a webhook signature) or serves no data. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Every scope listed is required. */
export const RequireScopes = (...scopes: Scope[]) => SetMetadata(REQUIRED_SCOPES, scopes);

export interface ApiPrincipal {
  /** An automation client's API key, or a signed-in console user. */
  kind?: 'api_key' | 'user';
  /** The key id, or `user:<id>` for a person (used to scope callers' idempotency keys). */
  keyId: string;
  name: string;
  scopes: readonly Scope[];
  role?: string;
  userId?: string;
}

export const Principal = createParamDecorator((_: unknown, ctx: ExecutionContext): ApiPrincipal => {
  const request = ctx.switchToHttp().getRequest<{ principal: ApiPrincipal }>();
  return request.principal;
});
