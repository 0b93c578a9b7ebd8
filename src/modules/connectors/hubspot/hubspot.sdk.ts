import { Client } from '@hubspot/api-client';
import {
  AuthExpiredError,
  ConnectorError,
  PermanentError,
  RateLimitedError,
  TransientError,
} from '../connector.port';
import type { OutboundGuard } from '../../../platform/http/outbound-guard';
import { guardedApiRequest, installHubspotAgentSupport } from './hubspot-transport';

installHubspotAgentSupport();

/**
 * The one way the gateway builds a `@hubspot/api-client` Client. The SDK's retry/limiter decorators are a
 * process-wide singleton that every `new Client()` replaces (reference §8, gotcha #416), so every client
 * gets this identical config: one attempt (numberOfApiCallRetries is the total number of attempts;
 * propagation owns retries and their timing) and no SDK limiter (pacing is the caller's `deps.pace`).
 * One client per token per unit of work, never a long-lived mutable one (gotcha #341).
 */
export function createHubspotSdkClient(
  basePath: string,
  outbound: OutboundGuard,
  accessToken?: string,
): Client {
  // No trailing slash: the SDK appends `/crm/v3/…` to it (reference §9).
  const base = basePath.replace(/\/+$/, '');
  const client = new Client({
    basePath: base,
    accessToken,
    numberOfApiCallRetries: 1,
    // Every connection of the generated APIs (redirect hops included: node-fetch reuses the agent) is checked
    // by the outbound guard at connect time (the SDK ignores this option without installHubspotAgentSupport).
    httpAgent: outbound.agentFor(new URL(base)),
  });
  // `apiRequest` ignores httpAgent and follows redirects anywhere: replaced by one that does neither.
  client.apiRequest = guardedApiRequest(base, accessToken, outbound) as unknown as Client['apiRequest'];
  return client;
}

/** A non-2xx answer to `apiRequest` (which never throws on its own), shaped like the SDK's ApiException. */
export class HubspotResponseError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
    readonly headers: Record<string, string>,
  ) {
    super(`HubSpot answered ${code}`);
    this.name = 'HubspotResponseError';
  }
}

/** A permanent HubSpot refusal that keeps its HTTP status and category (404s are expected in setup). */
export class HubspotPermanentError extends PermanentError {
  constructor(
    message: string,
    readonly status: number | null,
    readonly category: string | null,
  ) {
    super(message);
  }
}

interface HttpFailure {
  status: number;
  body: Record<string, unknown>;
  rawBody: unknown;
  headers: Record<string, string>;
}

function asHttpFailure(error: unknown): HttpFailure | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as { code?: unknown; body?: unknown; headers?: unknown };
  if (typeof e.code !== 'number' || e.code < 100 || e.code > 599) return null;
  let body: unknown = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      body = { message: body };
    }
  }
  const headers: Record<string, string> = {};
  if (typeof e.headers === 'object' && e.headers !== null) {
    for (const [k, v] of Object.entries(e.headers as Record<string, unknown>)) {
      if (typeof v === 'string') headers[k.toLowerCase()] = v;
    }
  }
  return {
    status: e.code,
    body: typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {},
    rawBody: e.body,
    headers,
  };
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** Network failures worth retrying; any other code-less failure is treated the same way (reference §9). */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

/**
 * How long to wait after a 429 (HubSpot sends no Retry-After; reference §7):
 * TEN_SECONDLY_ROLLING → the rolling window (X-HubSpot-RateLimit-Interval-Milliseconds, 10 s by default);
 * the search "secondly" limit → 1 s; DAILY → until the next midnight UTC (HubSpot resets daily limits at
 * midnight in the account's time zone, unknown here: UTC is the conservative guess for Europe).
 */
export function hubspotRetryAfterMs(
  body: Record<string, unknown>,
  headers: Record<string, string>,
  now = Date.now(),
): number {
  const policy = str(body.policyName)?.toUpperCase() ?? '';
  const message = str(body.message)?.toLowerCase() ?? '';
  const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
  const windowMs = Number.isFinite(interval) && interval > 0 ? interval : 10_000;
  if (policy === 'DAILY' || message.includes('daily limit')) {
    const midnight = new Date(now);
    midnight.setUTCHours(24, 0, 0, 0);
    return Math.max(1000, midnight.getTime() - now + 1000);
  }
  if (policy === 'TEN_SECONDLY_ROLLING' || message.includes('ten_secondly')) return windowMs;
  if (policy === 'SECONDLY' || message.includes('secondly limit')) return 1000;
  return windowMs;
}

/**
 * Classifies any failure of a HubSpot call once, as the propagation's retry policy understands it:
 * 429 → rate_limited (with the wait), 401 → auth_expired, 5xx / 408 / network / code-less → transient,
 * any other 4xx → permanent with HubSpot's own message.
 */
export function classifyHubspotError(error: unknown, now = Date.now()): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const http = asHttpFailure(error);
  if (http) {
    const category = str(http.body.category) ?? str(http.body.errorType);
    const message =
      str(http.body.message) ??
      str(http.body.error_description) ??
      (typeof http.rawBody === 'string' ? http.rawBody.slice(0, 300) : 'no message');
    const text = `HubSpot ${http.status}${category ? ` ${category}` : ''}: ${message}`;
    if (http.status === 429)
      return new RateLimitedError(text, hubspotRetryAfterMs(http.body, http.headers, now));
    if (http.status === 401) return new AuthExpiredError(text);
    if (http.status >= 500 || http.status === 408) return new TransientError(text);
    if (http.status >= 300 && http.status < 400)
      return new HubspotPermanentError(
        `HubSpot answered a redirect (${http.status}), which is not followed`,
        http.status,
        null,
      );
    if (http.status >= 400) return new HubspotPermanentError(text, http.status, category);
    return new TransientError(`HubSpot answered an unexpected ${http.status}: ${message}`);
  }
  const e = error as { code?: unknown; message?: unknown; type?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : null;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  // The outbound guard refused the connection (a redirect or a DNS answer to a private address): permanent.
  if (code === 'EPRIVATE')
    return Object.assign(new PermanentError(`HubSpot call refused by the outbound guard: ${message}`), {
      code,
    });
  if (code && TRANSIENT_CODES.has(code))
    return new TransientError(`HubSpot unreachable (${code}): ${message}`);
  return new TransientError(`HubSpot call failed${code ? ` (${code})` : ''}: ${message}`);
}

/** The SDK sets no request timeout; a call that hangs is abandoned as transient (its socket ends later). */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransientError(`HubSpot did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
