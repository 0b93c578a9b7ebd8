import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  Logger,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { from, mergeMap, type Observable } from 'rxjs';
import type { ApiPrincipal } from '../../platform/http/auth.decorators';
import { AUDIT_READ } from '../../platform/http/audit.decorators';
import { changesBetween, targetNameOf } from './audit-changes';
import { AuditService, type AuditActor, type AuditEntry } from './audit.service';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** A look at one person by one viewer within this window is one entry (a page reads several endpoints). */
export const PERSON_VIEW_WINDOW_MS = 2 * 60_000;
/** The header of the interceptor's own read of an entity before a change; its value is secret per process. */
const SNAPSHOT_HEADER = 'x-cg-audit-snapshot';
const SNAPSHOT_SECRET = randomBytes(24).toString('base64url');

/** What the interceptor leaves on a request, for the hook that records failures. */
export interface AuditedRequest extends FastifyRequest {
  principal?: ApiPrincipal;
  /** The guard's principal, kept even when it then refused the call (who was refused). */
  authenticatedAs?: ApiPrincipal;
  auditAction?: string;
  auditWritten?: boolean;
}

export function actorOf(
  principal: (ApiPrincipal & { kind?: string; userId?: string }) | undefined,
): AuditActor {
  if (!principal) return { type: 'anonymous', id: null, name: null };
  if (principal.kind === 'user') return { type: 'user', id: principal.userId ?? null, name: principal.name };
  return { type: 'api_key', id: principal.keyId, name: principal.name };
}

/** Whether a route's unsafe requests are actions of a user (webhooks are not; sign-ins audit themselves). */
export function isAuditedWrite(method: string, route: string): boolean {
  return UNSAFE.has(method) && !route.startsWith('/webhooks/') && !route.startsWith('/console/api/session');
}

/** The action an entry records for a request: the @AuditRead name, or the method and route. */
function actionOf(request: AuditedRequest, route: string): string {
  return request.auditAction ?? `${request.method} ${route}`;
}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions?.url ?? request.url.split('?')[0];
}

/** What an entry says about its target and how it was found, from the request and (on success) the answer. */
function entryOf(request: AuditedRequest, body: unknown): AuditEntry {
  const route = routeOf(request);
  const action = actionOf(request, route);
  const params = (request.params ?? {}) as Record<string, string>;
  const query = (request.query ?? {}) as Record<string, string>;
  const result = (body ?? {}) as { id?: string; subject_id?: string };
  const targetId = params.id ?? result.subject_id ?? query.subject_id ?? result.id ?? null;
  const person = action.startsWith('person.');
  const targetName = person ? null : targetNameOf(body);
  return {
    actor: actorOf(request.principal ?? request.authenticatedAs),
    action,
    target: targetId
      ? { type: person ? 'subject' : (route.split('/')[2] ?? 'resource'), id: targetId }
      : null,
    ip: request.ip,
    details: {
      // Which identifier a lookup used, never its value.
      lookup: Object.keys(query).filter((k) => ['phone', 'email', 'subject_id'].includes(k)),
      ...(targetName ? { target_name: targetName } : {}),
    },
  };
}

/**
 * Writes every change made through the API or the console, and every read marked @AuditRead (a look at a
 * person's data), to the audit log, with what the caller was answered. Successes are written here, with the
 * answer (the target's name) and, for PATCH and PUT, the fields that changed. Everything that did not
 * succeed (refused by the guard, invalid, failed) is written by `recordFailures` once the status is known,
 * which also covers what never reaches an interceptor.
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
    const request = http.getRequest<AuditedRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (request.headers[SNAPSHOT_HEADER] === SNAPSHOT_SECRET) return next.handle();
    const route = routeOf(request);
    const readAction = this.reflector.get<string | undefined>(AUDIT_READ, context.getHandler());
    if (readAction !== undefined) request.auditAction = readAction;
    if (!isAuditedWrite(request.method, route) && readAction === undefined) return next.handle();
    const snapshot =
      request.method === 'PATCH' || request.method === 'PUT' ? this.snapshot(request) : Promise.resolve(null);
    // The answer waits for its audit entry: what the caller was told happened is on record.
    return from(snapshot).pipe(
      mergeMap((before) =>
        next.handle().pipe(
          mergeMap(async (body: unknown) => {
            const entry = entryOf(request, body);
            const changes = before === null ? null : changesBetween(before, body);
            entry.details = { ...entry.details, status: reply.statusCode, ...(changes ? { changes } : {}) };
            await this.write(entry, request);
            return body;
          }),
        ),
      ),
    );
  }

  private async write(entry: AuditEntry, request: AuditedRequest): Promise<void> {
    request.auditWritten = true;
    try {
      if (entry.action.startsWith('person.') && entry.target?.id && entry.actor.id)
        await this.audit.recordOnceWithin(entry, PERSON_VIEW_WINDOW_MS);
      else await this.audit.record(entry);
    } catch (error) {
      this.logger.error({ err: { message: (error as Error).message } }, 'audit write failed');
    }
  }

  /**
   * The entity as it was before a change: the same path read with the caller's own credentials (so it shows
   * only what they may see). Null when there is no such read or it failed: the entry then lists no changes.
   */
  private async snapshot(request: AuditedRequest): Promise<unknown> {
    try {
      const headers: Record<string, string> = { [SNAPSHOT_HEADER]: SNAPSHOT_SECRET };
      for (const name of ['authorization', 'cookie'])
        if (typeof request.headers[name] === 'string') headers[name] = request.headers[name];
      const path = request.url.split('?')[0].replace(/\/document$/, '');
      const res = await request.server.inject({ method: 'GET', url: path, headers });
      return res.statusCode === 200 ? res.json<unknown>() : null;
    } catch {
      return null;
    }
  }
}

/**
 * Records, once the answer's status is known, every audited request that did not succeed and that the
 * interceptor did not write: refusals by the guard (no key, a wrong key, a role without the scope, a missing
 * CSRF token), invalid input, conflicts, errors. Installed as a Fastify onSend hook: the answer waits for it.
 */
export function failureRecorder(audit: AuditService, logger: Logger) {
  return async (request: AuditedRequest, reply: FastifyReply, payload: unknown) => {
    if (request.auditWritten || reply.statusCode < 400 || !request.routeOptions?.url) return payload;
    if (request.headers[SNAPSHOT_HEADER] === SNAPSHOT_SECRET) return payload;
    const route = routeOf(request);
    if (!isAuditedWrite(request.method, route) && request.auditAction === undefined) return payload;
    request.auditWritten = true;
    const entry = entryOf(request, null);
    try {
      await audit.record({
        ...entry,
        outcome: 'failure',
        details: { ...entry.details, status: reply.statusCode },
      });
    } catch (error) {
      logger.error({ err: { message: (error as Error).message } }, 'audit write failed');
    }
    return payload;
  };
}
