import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { isEmail, isUUID } from 'class-validator';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendProblem, toProblem } from '../../platform/http/problem';
import type { RateLimitGate } from '../../platform/http/rate-limit.hook';
import { securityHeadersFor } from '../../platform/http/security-headers';
import { bearerToken } from '../auth';
import { ApiKeyService } from '../auth';
import type { Scope } from '../../platform/http/scopes';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { ConsentQueryService, type CheckQuery, type CheckResult } from './consent-query.service';
import { CHANNELS } from './dto/consent-event.dto';
import { normalisePhone } from './phone-number';

export const CONSENT_CHECK_PATH = '/v1/consents/check';
/** The start of every URL the fast path serves: the exact path and a query string. */
const PATH_AND_QUERY = `${CONSENT_CHECK_PATH}?`;
const REQUIRED: Scope = 'consent:read';
const FIELDS = new Set(['phone', 'email', 'subject_id', 'purpose', 'channel', 'scope']);
const PURPOSE = /^[a-z0-9_.-]{1,64}$/;
/** Plain printable ASCII: its length is the length class-validator measures. */
const PLAIN_SCOPE = /^[\x20-\x7e]{1,64}$/;
const CHANNEL_SET = new Set<string>(CHANNELS);

/**
 * The query when it is certainly one ConsentCheckDto accepts (the same rules, checked by hand), or null:
 * then the request is left to the Nest pipeline, whose ValidationPipe names the faulty field as always.
 * With `validatePhone` false a phone is only checked for its form: the caller must hand the request to Nest
 * when the check refuses the number.
 */
export function plainCheckQuery(query: unknown, validatePhone = true): CheckQuery | null {
  if (typeof query !== 'object' || query === null) return null;
  const q = query as Record<string, unknown>;
  let identifiers = 0;
  for (const name in q) {
    if (!FIELDS.has(name) || typeof q[name] !== 'string') return null;
    if (name === 'phone' || name === 'email' || name === 'subject_id') identifiers++;
  }
  if (identifiers !== 1) return null;
  const { phone, email, subject_id, purpose, channel, scope } = q as Record<string, string | undefined>;
  if (phone !== undefined && (phone.length > 32 || phone[0] !== '+')) return null;
  if (phone !== undefined && validatePhone && normalisePhone(phone) === null) return null;
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
 * The query string of a fast-path URL (from `from`, after the "?"), when it is plainly one the slow path
 * would parse the same way (Fastify's parser); otherwise null. Only the check's own names, each once, plainly
 * spelled, percent-encoded values without "+" (a space to Fastify), no NUL (which the hostile-input hook
 * refuses): anything else goes to Fastify, which parses, refuses or answers it as always.
 */
export function plainQueryString(url: string, from: number): Record<string, string> | null {
  const out: Record<string, string> = {};
  let start = from;
  while (start < url.length) {
    let end = url.indexOf('&', start);
    if (end < 0) end = url.length;
    const eq = url.indexOf('=', start);
    if (eq < 0 || eq > end) return null;
    const name = url.slice(start, eq);
    if (!FIELDS.has(name) || out[name] !== undefined) return null;
    const raw = url.slice(eq + 1, end);
    if (raw.includes('+')) return null;
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (value.includes('\0')) return null;
    out[name] = value;
    start = end + 1;
  }
  return out;
}

export interface DirectCheckOptions {
  /** The rate limits' view for requests served below Fastify (the per-key count). */
  rateLimits: RateLimitGate;
  /** PUBLIC_BASE_URL is https: the security headers include HSTS. */
  https: boolean;
}

interface Services {
  keys: ApiKeyService;
  queries: ConsentQueryService;
  metrics: MetricsService;
}

/**
 * GET /v1/consents/check is the API's hot path, served at two levels:
 *
 * - below Fastify, on the HTTP server's request event: a GET of the exact path whose key this process
 *   verified within the key cache's TTL and holds consent:read, whose query is plainly valid, and which the
 *   per-key rate limit admits without a header to announce, is answered here, with the same security headers
 *   and the same JSON as the Fastify route, and counted against its key's limit. Everything else (HEAD, no
 *   key, an unknown, revoked or expired key, a missing scope, an invalid or oddly spelled query, a key near
 *   its limit, an address refused for its failures, a closing server, an answer that failed) is handed to
 *   Fastify untouched, so every refusal and error is exactly what the hooks, the guard and the
 *   ValidationPipe give, logged as always.
 *   Fastify's per-request work (its request and reply objects, routing, every global hook, Nest's
 *   middleware engine) cost several times the answer itself (profile in the check-fast notes).
 * - in Fastify: the route stays ConsentController.check (its guard, scope, validation and OpenAPI operation
 *   are declared there, and HEAD is served by it); the GET route's handler is swapped for one that answers
 *   directly under the same conditions after the global hooks ran, and hands anything else to Nest.
 *
 * A global Fastify hook added later does not run for checks served below Fastify: it must be mirrored in
 * serveBelowFastify, or make it decline.
 *
 * Call before app.init(), when Nest registers its routes.
 */
export function serveConsentCheckDirectly(app: NestFastifyApplication, options: DirectCheckOptions): void {
  const logger = new Logger('HTTP');
  let services: Services | null = null;
  const servicesOf = (): Services =>
    (services ??= {
      keys: app.get(ApiKeyService, { strict: false }),
      queries: app.get(ConsentQueryService, { strict: false }),
      metrics: app.get(MetricsService, { strict: false }),
    });
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (route.url !== CONSENT_CHECK_PATH || route.method !== 'GET') return;
    const nest = route.handler;
    route.handler = function consentCheck(request: FastifyRequest, reply: FastifyReply) {
      const started = performance.now();
      const { keys, queries, metrics } = servicesOf();
      const token = bearerToken(request.headers.authorization);
      const principal = token ? keys.cachedPrincipal(token) : undefined;
      const query = principal?.scopes.includes(REQUIRED) ? plainCheckQuery(request.query) : null;
      if (!query) return nest.call(this, request, reply);
      return queries.check(query).then(
        (result) => {
          metrics.consentCheckLatency.observe((performance.now() - started) / 1000);
          return reply.send(result);
        },
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
  serveBelowFastify(fastify, servicesOf, options, logger);
}

/** The consent check on the HTTP server's request event, ahead of Fastify's own listener (see above). */
function serveBelowFastify(
  fastify: FastifyInstance,
  servicesOf: () => Services,
  { rateLimits, https }: DirectCheckOptions,
  logger: Logger,
): void {
  const server = fastify.server;
  const [fastifyListener, ...others] = server.listeners('request') as ((
    request: IncomingMessage,
    response: ServerResponse,
  ) => void)[];
  // Not the server this was written for (one listener, Fastify's): serve everything through Fastify.
  if (!fastifyListener || others.length) return;
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  const headers = responseHeaders(https);

  const answered = (request: IncomingMessage, response: ServerResponse): boolean => {
    if (request.method !== 'GET' || closing) return false;
    const started = performance.now();
    const url = request.url as string;
    if (!url.startsWith(PATH_AND_QUERY)) return false;
    const authorization = request.headers.authorization;
    const token = bearerToken(authorization);
    if (!token) return false;
    const { keys, queries, metrics } = servicesOf();
    if (!keys.cachedPrincipal(token)?.scopes.includes(REQUIRED)) return false;
    const fields = plainQueryString(url, PATH_AND_QUERY.length);
    // Whether the phone is a valid number is the check's to find out (most are known, and skip the parse):
    // it refuses an invalid one, and the request goes to Fastify, whose ValidationPipe names the field.
    const query = fields && plainCheckQuery(fields, false);
    if (!query || !rateLimits.admitApiKey(authorization as string, token)) return false;
    // Most checks are answered from memory at once; a person to read from the database takes the promise.
    const known = queries.checkFromMemory(query);
    if (known) {
      send(response, headers, known);
      metrics.consentCheckLatency.observe((performance.now() - started) / 1000);
      return true;
    }
    queries
      .check(query)
      .then(
        (result) => {
          send(response, headers, result);
          metrics.consentCheckLatency.observe((performance.now() - started) / 1000);
        },
        // The answer failed (the database, for a person not in memory; an invalid phone): Fastify and Nest
        // answer it again, and give and log the same problem as for any request (the ValidationPipe's 400).
        () => {
          rateLimits.handOver(request);
          fastifyListener.call(server, request, response);
        },
      )
      // A bug here must not take the process down (an unhandled rejection would): the connection is dropped.
      .catch((error: unknown) => {
        logger.error({ err: { message: (error as Error)?.message } }, 'consent check fast path failed');
        response.destroy();
      });
    return true;
  };

  server.removeListener('request', fastifyListener);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    let served = false;
    try {
      served = answered(request, response);
    } catch (error) {
      // Nothing was counted or written before anything that can throw: Fastify serves it as any request.
      logger.error({ err: { message: (error as Error)?.message } }, 'consent check fast path failed');
    }
    if (!served) fastifyListener.call(server, request, response);
  });
}

/**
 * The Fastify route's headers for a JSON answer: the security headers, the content type, then the content
 * length, whose value send() sets for each answer (writeHead reads the array at once and keeps nothing of it,
 * so one array serves every answer instead of a copy per answer).
 */
function responseHeaders(https: boolean): string[] {
  const flat: string[] = [];
  for (const [name, value] of securityHeadersFor(CONSENT_CHECK_PATH, { https })) flat.push(name, value);
  flat.push('content-type', 'application/json; charset=utf-8', 'content-length', '');
  return flat;
}

/** The one place a fast-path answer is written (its body is the service's CheckResult, as the route's). */
function send(response: ServerResponse, headers: string[], result: CheckResult): void {
  if (response.destroyed) return;
  const body = JSON.stringify(result);
  headers[headers.length - 1] = String(Buffer.byteLength(body));
  response.writeHead(200, headers);
  response.end(body);
}
