import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { isEmail, isUUID } from 'class-validator';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { sendProblem, toProblem } from '../../platform/http/problem';
import { bearerToken } from '../auth';
import { ApiKeyService } from '../auth';
import type { Scope } from '../../platform/http/scopes';
import { ConsentQueryService, type CheckQuery } from './consent-query.service';
import { CHANNELS } from './dto/consent-event.dto';
import { normalisePhone } from './phone-number';

export const CONSENT_CHECK_PATH = '/v1/consents/check';
const REQUIRED: Scope = 'consent:read';
const FIELDS = new Set(['phone', 'email', 'subject_id', 'purpose', 'channel', 'scope']);
const PURPOSE = /^[a-z0-9_.-]{1,64}$/;
/** Plain printable ASCII: its length is the length class-validator measures. */
const PLAIN_SCOPE = /^[\x20-\x7e]{1,64}$/;
const CHANNEL_SET = new Set<string>(CHANNELS);

/**
 * The query when it is certainly one ConsentCheckDto accepts (the same rules, checked by hand), or null:
 * then the request is left to the Nest pipeline, whose ValidationPipe names the faulty field as always.
 */
export function plainCheckQuery(query: unknown): CheckQuery | null {
  if (typeof query !== 'object' || query === null) return null;
  const q = query as Record<string, unknown>;
  let identifiers = 0;
  for (const name in q) {
    if (!FIELDS.has(name) || typeof q[name] !== 'string') return null;
    if (name === 'phone' || name === 'email' || name === 'subject_id') identifiers++;
  }
  if (identifiers !== 1) return null;
  const { phone, email, subject_id, purpose, channel, scope } = q as Record<string, string | undefined>;
  if (phone !== undefined && (phone.length > 32 || phone[0] !== '+' || normalisePhone(phone) === null))
    return null;
  if (email !== undefined && (email.length > 254 || !isEmail(email))) return null;
  if (subject_id !== undefined && !isUUID(subject_id)) return null;
  if (purpose !== undefined && !PURPOSE.test(purpose)) return null;
  if (channel !== undefined && !CHANNEL_SET.has(channel)) return null;
  if (scope !== undefined && !PLAIN_SCOPE.test(scope)) return null;
  const out: CheckQuery = {};
  if (phone !== undefined) out.phone = phone;
  if (email !== undefined) out.email = email;
  if (subject_id !== undefined) out.subject_id = subject_id;
  if (purpose !== undefined) out.purpose = purpose;
  if (channel !== undefined) out.channel = channel;
  if (scope !== undefined) out.scope = scope;
  return out;
}

/**
 * GET /v1/consents/check is the API's hot path. The route stays ConsentController.check (its guard, scope,
 * validation and OpenAPI operation are declared there, and HEAD is served by it); this swaps the GET
 * route's handler for one that answers directly when the caller's key was verified within the key cache's
 * TTL and holds consent:read, and the query is plainly valid. Anything else (no key, an unknown or
 * revoked key, a missing scope, an invalid query) goes to the Nest handler, so every refusal is exactly
 * the one the guard and the ValidationPipe give.
 *
 * Call before app.init(), when Nest registers its routes.
 */
export function serveConsentCheckDirectly(app: NestFastifyApplication): void {
  const logger = new Logger('HTTP');
  let services: { keys: ApiKeyService; queries: ConsentQueryService } | null = null;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route: RouteOptions) => {
      if (route.url !== CONSENT_CHECK_PATH || route.method !== 'GET') return;
      const nest = route.handler;
      route.handler = function consentCheck(request: FastifyRequest, reply: FastifyReply) {
        services ??= {
          keys: app.get(ApiKeyService, { strict: false }),
          queries: app.get(ConsentQueryService, { strict: false }),
        };
        const token = bearerToken(request.headers.authorization);
        const principal = token ? services.keys.cachedPrincipal(token) : undefined;
        const query = principal?.scopes.includes(REQUIRED) ? plainCheckQuery(request.query) : null;
        if (!query) return nest.call(this, request, reply);
        return services.queries.check(query).then(
          (result) => reply.send(result),
          (error: unknown) => {
            const body = toProblem(error);
            if (body.status >= 500) {
              logger.error(
                {
                  err:
                    error instanceof Error
                      ? { name: error.name, message: error.message, stack: error.stack }
                      : error,
                },
                'unhandled error',
              );
            }
            sendProblem(reply, body);
            return reply;
          },
        );
      };
    });
}
