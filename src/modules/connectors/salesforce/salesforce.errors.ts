import {
  AuthFailedError,
  ConnectorError,
  PermanentError,
  RateLimitedError,
  TransientError,
} from '../connector.port';
import { REQUEST_LIMIT_BACKOFF_MS } from './salesforce.constants';

/** Salesforce error codes that a later attempt can get past (lock contention, outages, expired locators). */
const TRANSIENT_CODES = new Set([
  'UNKNOWN_EXCEPTION',
  'SERVER_UNAVAILABLE',
  'UNABLE_TO_LOCK_ROW',
  'REQUEST_RUNNING_TOO_LONG',
  'QUERY_TIMEOUT',
  'INVALID_QUERY_LOCATOR',
  'TXN_SECURITY_METERING_ERROR',
]);

/** Codes meaning the connection's credentials or the org's API access do not work; not cured by a retry. */
const AUTH_CODES = new Set([
  'INVALID_SESSION_ID',
  'INVALID_AUTH_HEADER',
  'INVALID_LOGIN',
  'API_DISABLED_FOR_ORG',
  'API_CURRENTLY_DISABLED',
  'ORG_LOCKED',
  'INVALID_OPERATION_WITH_EXPIRED_PASSWORD',
]);

/** OAuth token-endpoint refusals (the error `name` jsforce gives): the grant is dead, the admin must reconnect. */
const OAUTH_REFUSALS = new Set([
  'invalid_grant',
  'invalid_client',
  'invalid_client_id',
  'invalid_client_credentials',
  'unauthorized_client',
  'inactive_user',
  'inactive_org',
  'redirect_uri_mismatch',
  'unsupported_grant_type',
]);

/** Node / node-fetch network failures: the request may never have reached Salesforce. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
]);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  errorCode?: unknown;
  code?: unknown;
  type?: unknown;
}

const SESSION_NOT_FOR_REST = 'This session is not valid for use with the REST API';

/**
 * Classifies any failure of a Salesforce call into exactly one ConnectorError; the single place that knows
 * Salesforce's and jsforce's error shapes.
 */
export function classifySalesforceError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(error);
  const code = typeof e.errorCode === 'string' ? e.errorCode : typeof e.name === 'string' ? e.name : '';
  const sysCode = typeof e.code === 'string' ? e.code : '';

  if (message.includes(SESSION_NOT_FOR_REST)) {
    return new AuthFailedError(
      `Salesforce refuses this session for the REST API (connected-app or profile settings): ${message}`,
    );
  }
  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    return new RateLimitedError(
      `Salesforce API request limit exceeded: ${message}`,
      REQUEST_LIMIT_BACKOFF_MS,
    );
  }
  if (AUTH_CODES.has(code)) return new AuthFailedError(`Salesforce refused the session: ${message}`);
  if (OAUTH_REFUSALS.has(code))
    return new AuthFailedError(`Salesforce refused the token refresh (${code}): ${message}`);
  if (TRANSIENT_CODES.has(code)) return new TransientError(`Salesforce ${code}: ${message}`);

  const http = /^ERROR_HTTP_(\d{3})$/.exec(code);
  if (http) {
    const status = Number(http[1]);
    if (status === 429 || status === 420)
      return new RateLimitedError(`Salesforce answered ${status}`, 60_000);
    if (status >= 500 || status === 408)
      return new TransientError(`Salesforce answered ${status}: ${message}`);
    if (status === 401 || status === 403)
      return new AuthFailedError(`Salesforce answered ${status}: ${message}`);
    return new PermanentError(`Salesforce answered ${status}: ${message}`);
  }

  if (
    NETWORK_CODES.has(sysCode) ||
    code === 'FetchError' ||
    code === 'AbortError' ||
    e.type === 'system' ||
    message === 'Request Timeout' ||
    /socket hang up|network|timed? ?out/i.test(message)
  ) {
    return new TransientError(`Salesforce could not be reached: ${message}`);
  }
  if (code !== '' && code !== 'Error' && /^[A-Z_]+$/.test(code)) {
    // INVALID_FIELD, REQUIRED_FIELD_MISSING, MALFORMED_QUERY, INVALID_TYPE, NOT_FOUND, ...: the org differs from
    // what the gateway expects, or the data is refused; retrying will not help.
    return new PermanentError(`Salesforce ${code}: ${message.trim()}`);
  }
  return new PermanentError(`Salesforce call failed: ${message.trim()}`);
}

/** Classifies one record's error of an sObject Collections result (the call itself succeeded). */
export function classifyRecordError(
  errors: ReadonlyArray<{
    statusCode?: string;
    errorCode?: string;
    message: string;
    fields?: string[];
  }>,
): ConnectorError {
  const first = errors[0];
  if (!first) return new PermanentError('Salesforce refused the record without saying why');
  const code = first.statusCode ?? first.errorCode ?? 'UNKNOWN';
  const fields = first.fields && first.fields.length > 0 ? ` [${first.fields.join(', ')}]` : '';
  const message = `Salesforce ${code}: ${first.message}${fields}`;
  if (TRANSIENT_CODES.has(code)) return new TransientError(message);
  if (code === 'REQUEST_LIMIT_EXCEEDED') return new RateLimitedError(message, REQUEST_LIMIT_BACKOFF_MS);
  return new PermanentError(message);
}

/**
 * Salesforce's query errors quote the statement ("ERROR at Row:1 … WHERE Email IN ('ada@…')"), and a search's
 * the search terms: phone numbers and emails must not reach logs through an error text. Quoted values that look
 * like an email or a phone number, and the text between a SOSL query's braces, are withheld.
 */
export function withoutPersonalData<E extends Error>(error: E): E {
  error.message = error.message
    .replace(/\{[^}]*\}/g, '{…}')
    .replace(/'[^']*(?:@|\d[\d\s().+-]{4,})[^']*'/g, "'…'");
  return error;
}
