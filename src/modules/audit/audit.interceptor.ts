import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  Logger,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { catchError, mergeMap, type Observable } from 'rxjs';
import type { ApiPrincipal } from '../../platform/http/auth.decorators';
import { AUDIT_READ } from '../../platform/http/audit.decorators';
import { AuditService, type AuditActor } from './audit.service';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function actorOf(
  principal: (ApiPrincipal & { kind?: string; userId?: string }) | undefined,
): AuditActor {
  if (!principal) return { type: 'anonymous', id: null, name: null };
  if (principal.kind === 'user') return { type: 'user', id: principal.userId ?? null, name: principal.name };
  return { type: 'api_key', id: principal.keyId, name: principal.name };
}

/**
 * Writes every change made through the API or the console, and every read marked @AuditRead (a look at
 * a person's data), to the audit log. Webhooks are not actions of a user and are left out; so are the
 * session routes, which audit logins themselves.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger(AuditInterceptor.name);

  constructor(
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { principal?: ApiPrincipal }>();
    const route = request.routeOptions?.url ?? request.url.split('?')[0];
    const readAction = this.reflector.get<string | undefined>(AUDIT_READ, context.getHandler());
    const audited =
      (UNSAFE.has(request.method) &&
        !route.startsWith('/webhooks/') &&
        !route.startsWith('/console/api/session')) ||
      readAction !== undefined;
    if (!audited) return next.handle();
    const write = (outcome: 'success' | 'failure', body: unknown) => {
      const params = (request.params ?? {}) as Record<string, string>;
      const query = (request.query ?? {}) as Record<string, string>;
      const result = (body ?? {}) as { id?: string; subject_id?: string };
      const targetId = params.id ?? result.subject_id ?? query.subject_id ?? result.id ?? null;
      return this.audit
        .record({
          actor: actorOf(request.principal),
          action: readAction ?? `${request.method} ${route}`,
          target: targetId ? { type: route.split('/')[2] ?? 'resource', id: targetId } : null,
          ip: request.ip,
          outcome,
          details: {
            // Which identifier a lookup used, never its value.
            lookup: Object.keys(query).filter((k) => ['phone', 'email', 'subject_id'].includes(k)),
          },
        })
        .then(() => undefined)
        .catch((error: Error) =>
          this.logger.error({ err: { message: error.message } }, 'audit write failed'),
        );
    };
    // The answer waits for its audit entry: what the caller was told happened is on record.
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        await write('success', body);
        return body;
      }),
      catchError(async (error: unknown) => {
        await write('failure', null);
        throw error;
      }),
    );
  }
}
