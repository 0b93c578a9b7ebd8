import { Logger } from '@nestjs/common';
import {
  AuthExpiredError,
  AuthFailedError,
  PermanentError,
  RateLimitedError,
  type TestResult,
} from './connector.port';

/**
 * What a failed connection test says to its caller. A handful of fixed texts, never the network error: "connection
 * refused", "timed out", "certificate" or "socket hang up" would tell a closed port from an open one, or a TLS
 * service from a plain one, and make the test a port scanner (issue 10). The detail goes to the log instead.
 */
export const TEST_FAILURE = {
  notAllowed: 'the endpoint address is not allowed (not public and not in OUTBOUND_ALLOWLIST)',
  unreachable: 'the endpoint could not be reached',
  credentials: 'the endpoint refused the credentials',
  rateLimited: 'the endpoint is limiting requests; try again later',
  redirect: 'the endpoint answered with a redirect, which is not followed',
  refused: 'the endpoint refused the request',
  clientError: 'the endpoint answered with HTTP 4xx',
  serverError: 'the endpoint answered with HTTP 5xx',
} as const;

const logger = new Logger('ConnectionTest');

/** The generic text for an HTTP status a test got back (2xx is not a failure). */
export function failureForStatus(status: number): string {
  if (status === 401 || status === 403) return TEST_FAILURE.credentials;
  if (status === 429) return TEST_FAILURE.rateLimited;
  if (status >= 300 && status < 400) return TEST_FAILURE.redirect;
  if (status >= 400 && status < 500) return TEST_FAILURE.clientError;
  if (status >= 500) return TEST_FAILURE.serverError;
  return TEST_FAILURE.unreachable;
}

/** The outbound guard's refusals carry EPRIVATE, on the socket error or the connector error wrapping it. */
function isRefusedAddress(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EPRIVATE';
}

/**
 * A failed test as the API shows it. `status` is the HTTP status the endpoint answered, when it answered; the
 * error itself is logged (the message, never a request or response body: those may carry personal data).
 */
export function testFailure(error: unknown, status?: number | null): TestResult {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  logger.warn(`connection test failed: ${message}`);
  if (isRefusedAddress(error)) return { ok: false, detail: TEST_FAILURE.notAllowed };
  if (typeof status === 'number') return { ok: false, detail: failureForStatus(status) };
  if (error instanceof AuthExpiredError || error instanceof AuthFailedError)
    return { ok: false, detail: TEST_FAILURE.credentials };
  if (error instanceof RateLimitedError) return { ok: false, detail: TEST_FAILURE.rateLimited };
  const httpStatus = (error as { status?: unknown } | null)?.status;
  if (typeof httpStatus === 'number') return { ok: false, detail: failureForStatus(httpStatus) };
  // A permanent failure is a refusal the vendor answered; anything else (network, 5xx, timeout) is not told apart.
  if (error instanceof PermanentError) return { ok: false, detail: TEST_FAILURE.refused };
  return { ok: false, detail: TEST_FAILURE.unreachable };
}
