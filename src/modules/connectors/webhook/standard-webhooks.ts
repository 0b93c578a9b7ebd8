/**
 * Standard Webhooks 1.0 `v1` signatures (HMAC-SHA256, base64), as pure functions. The gateway's outbound webhook
 * sender uses `signStandardWebhook`; the local processor simulator uses `verifyStandardWebhook`.
 *
 * Signed content: `${webhook-id}.${webhook-timestamp}.${raw body}`. The HMAC key is the base64-decoded part of the
 * `whsec_...` secret. `webhook-signature` is a space-separated list of `version,signature` entries (key rotation).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
/** Reference libraries refuse timestamps more than five minutes away from now. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** The HMAC key of a `whsec_<base64>` secret (a bare base64 secret is accepted too). */
export function standardWebhookKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('Standard Webhooks secret is empty or not base64');
  return key;
}

/** The `webhook-signature` header value (`v1,<base64>`) for one message. */
export function signStandardWebhook(
  secret: string,
  id: string,
  timestamp: number | string,
  body: string | Buffer,
): string {
  if (id.includes('.')) throw new Error('webhook-id must not contain "."');
  const ts = String(timestamp);
  if (!/^\d+$/.test(ts)) throw new Error('webhook-timestamp must be integer Unix seconds');
  const mac = createHmac('sha256', standardWebhookKey(secret));
  mac.update(`${id}.${ts}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

export type StandardWebhookFailure =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature';

export type StandardWebhookVerification =
  { valid: true; id: string; timestamp: number } | { valid: false; reason: StandardWebhookFailure };

/** Lower-case header names, as Node's `IncomingMessage.headers` delivers them. */
export type StandardWebhookHeaders = Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** Allowed clock skew either way, in seconds (default 300). */
  toleranceSeconds?: number;
  /** Current time in Unix seconds (default: the system clock). */
  nowSeconds?: number;
}

/**
 * Checks the three `webhook-*` headers against the raw body. Header names must be lower-case (as Node delivers them).
 * Every `v1` entry of the signature list is tried with a constant-time comparison; other versions are ignored.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: StandardWebhookHeaders,
  body: string | Buffer,
  options: VerifyOptions = {},
): StandardWebhookVerification {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const id = one(headers['webhook-id']);
  const timestampRaw = one(headers['webhook-timestamp']);
  const signatures = one(headers['webhook-signature']);
  if (!id || !timestampRaw || !signatures) return { valid: false, reason: 'missing_headers' };
  if (!/^\d+$/.test(timestampRaw)) return { valid: false, reason: 'invalid_timestamp' };
  const timestamp = Number(timestampRaw);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (timestamp < now - tolerance) return { valid: false, reason: 'timestamp_too_old' };
  if (timestamp > now + tolerance) return { valid: false, reason: 'timestamp_too_new' };

  const expected = Buffer.from(signStandardWebhookSafe(secret, id, timestampRaw, body), 'base64');
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const candidate = Buffer.from(entry.slice(comma + 1), 'base64');
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected))
      return { valid: true, id, timestamp };
  }
  return { valid: false, reason: 'no_matching_signature' };
}

/** The bare base64 signature, without the id checks of the signer (a received id is verified, not judged). */
function signStandardWebhookSafe(
  secret: string,
  id: string,
  timestamp: string,
  body: string | Buffer,
): string {
  const mac = createHmac('sha256', standardWebhookKey(secret));
  mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return mac.digest('base64');
}
