import type { FastifyInstance, FastifyReply } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { RateLimitConfig } from '../../config/app-config';
import { AppError, ErrorKind, PlatformErrorCode, sendProblem, toProblem } from './problem';
import { clientKey, FixedWindowCounter, type WindowState } from './rate-limit';

export const SIGNIN_ROUTE = '/console/api/session';

/** Routes that authenticate their caller (API key, session, password or webhook signature). */
const AUTHENTICATED_PREFIXES = ['/v1/', '/console/api/', '/webhooks/', '/metrics'];

/** A key longer than this is no key this gateway issued: it is not counted per key (its 401 is, per IP). */
const MAX_KEY_LENGTH = 256;

export class RateLimitedError extends AppError {
  readonly code = PlatformErrorCode.RateLimited;
  readonly kind = ErrorKind.RateLimited;
}

/**
 * The limits as seen by a route served below Fastify (the consent check's fast path), which runs none of
 * the hooks below: it counts the request's key here, or leaves the request to Fastify whenever the hooks
 * would do more than count (a refusal, RateLimit-* headers, an address refused for its failures).
 */
export interface RateLimitGate {
  /**
   * Counts a /v1 request with this Authorization header (whose Bearer token is `token`) against its key's
   * limit and says true; says false, counting nothing, when the request must go through Fastify's hooks.
   */
  admitApiKey(authorization: string, token: string): boolean;
  /** An admitted request handed to Fastify after all (its answer failed): the hook does not count it again. */
  handOver(request: IncomingMessage): void;
}

/** What the gate is when limits are disabled: everything is admitted, nothing counted. */
const NO_LIMITS: RateLimitGate = { admitApiKey: () => true, handOver: () => undefined };

/**
 * The rate limits, as Fastify hooks that run before the body is read:
 *
 * - sign-in (POST /console/api/session): every attempt counts, per client IP;
 * - API keys: every /v1 request with a Bearer key counts, per key;
 * - authentication failures: every 401 answered on a route that authenticates (a wrong key, session,
 *   password, or webhook signature) counts per client IP, and past the limit that address is refused on
 *   those routes until the window ends.
 *
 * Webhooks (Meta, HubSpot, processors' confirmations) are limited by the last one only: a correctly signed
 * delivery never counts, so Meta's campaign bursts (thousands a second, from addresses Meta shares) and
 * HubSpot's retries are never refused, while an unsigned flood from one address is. The client IP is
 * request.ip, which follows X-Forwarded-For only from TRUSTED_PROXIES.
 */
export function installRateLimits(fastify: FastifyInstance, config: RateLimitConfig): RateLimitGate {
  if (!config.enabled) return NO_LIMITS;
  const counter = (limit: number) => (limit > 0 ? new FixedWindowCounter(limit, config.windowMs) : null);
  const signin = counter(config.signinPerIp);
  const perKey = counter(config.perApiKey);
  const failures = counter(config.authFailuresPerIp);
  const countedBelow = new WeakSet<IncomingMessage>();

  fastify.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || !authenticates(route)) return done();
    if (failures) {
      const state = failures.peek(clientKey(request.ip));
      if (state.count >= state.limit) {
        return refuse(reply, state, 'Too many failed authentications from this address; retry later.');
      }
    }
    if (signin && route === SIGNIN_ROUTE && request.method === 'POST') {
      const state = signin.hit(clientKey(request.ip));
      announce(reply, state);
      if (state.count > state.limit) return refuse(reply, state, 'Too many sign-in attempts; retry later.');
    }
    if (perKey && route.startsWith('/v1/') && !countedBelow.has(request.raw)) {
      const key = bearerKey(request.headers.authorization);
      if (key) {
        const state = perKey.hit(key);
        if (state.count > state.limit) return refuse(reply, state, 'Too many requests with this API key.');
        // Announced once the last tenth of the window's allowance is reached: far from the limit the three headers
        // would ride on every consent check for nothing (each header costs the hot path, measured).
        if (state.remaining * 10 <= state.limit) announce(reply, state);
      }
    }
    done();
  });

  if (failures) {
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url;
      if (reply.statusCode === 401 && route !== undefined && authenticates(route)) {
        failures.hit(clientKey(request.ip));
      }
      done();
    });
  }

  return {
    admitApiKey(authorization, token) {
      // Some address is refused for its failures: only the hook knows the client's address as Fastify sees it.
      if (failures?.anyAtLimit()) return false;
      if (!perKey) return true;
      if (bearerKey(authorization) !== token) return false;
      const state = perKey.peek(token);
      // This hit would reach the last tenth of the allowance (headers announced) or go over: the hook's work.
      if ((state.remaining - 1) * 10 <= state.limit) return false;
      perKey.hit(token);
      return true;
    },
    handOver: (request) => void countedBelow.add(request),
  };
}

function authenticates(route: string): boolean {
  return AUTHENTICATED_PREFIXES.some((prefix) => route.startsWith(prefix));
}

/**
 * The Bearer token itself keys its counter: hashing it would cost the hot path a digest per request, and
 * the key cache already holds tokens in this process's memory. The map is never logged or exported.
 */
function bearerKey(authorization: string | undefined): string | null {
  if (!authorization || authorization.length > MAX_KEY_LENGTH + 7) return null;
  const space = authorization.indexOf(' ');
  if (space < 0 || authorization.slice(0, space).toLowerCase() !== 'bearer') return null;
  return authorization.slice(space + 1).trim() || null;
}

/** RateLimit-* headers (IETF httpapi draft), on every counted answer. */
function announce(reply: FastifyReply, state: WindowState): void {
  void reply.headers({
    'ratelimit-limit': state.limit,
    'ratelimit-remaining': state.remaining,
    'ratelimit-reset': state.resetSeconds,
  });
}

function refuse(reply: FastifyReply, state: WindowState, detail: string): void {
  announce(reply, state);
  void reply.header('retry-after', state.resetSeconds);
  sendProblem(reply, toProblem(new RateLimitedError(detail)));
}
