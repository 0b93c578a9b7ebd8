/**
 * The receiving side of Standard Webhooks 1.0 (https://www.standardwebhooks.com), written for the simulator
 * from the specification, apart from the gateway's own signer: a simulator that reused the gateway's code
 * would agree with it whatever the specification says. The published test vector is in the medium spec.
 *
 * - signed content: `${webhook-id}.${webhook-timestamp}.${raw body}`, HMAC-SHA256, base64;
 * - the key is the base64 after the `whsec_` prefix;
 * - `webhook-signature` is a space-delimited list of `<version>,<signature>`; only `v1` entries count, any
 *   one of them matching is enough (key rotation);
 * - timestamps more than five minutes from now are refused (replay protection), in either direction.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type StandardWebhookFailure =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature';

export type StandardWebhookVerification =
  { valid: true; id: string; timestamp: number } | { valid: false; reason: StandardWebhookFailure };

export interface VerifyOptions {
  /** Allowed clock skew either way, in seconds (default 300, the specification's recommendation). */
  toleranceSeconds?: number;
  /** Current time in Unix seconds (default: the system clock). */
  nowSeconds?: number;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function verifyStandardWebhook(
  secret: string,
  headers: Headers,
  body: string | Buffer,
  options: VerifyOptions = {},
): StandardWebhookVerification {
  const id = header(headers, 'webhook-id');
  const stamp = header(headers, 'webhook-timestamp');
  const list = header(headers, 'webhook-signature');
  if (!id || !stamp || !list) return { valid: false, reason: 'missing_headers' };
  // The specification's timestamp is integer seconds since the epoch; anything else is refused.
  if (!/^[0-9]+$/.test(stamp)) return { valid: false, reason: 'invalid_timestamp' };
  const timestamp = Number.parseInt(stamp, 10);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (now - timestamp > tolerance) return { valid: false, reason: 'timestamp_too_old' };
  if (timestamp - now > tolerance) return { valid: false, reason: 'timestamp_too_new' };

  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(`${id}.${stamp}.`), Buffer.from(body)]))
    .digest();
  const matches = list
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, signature]) => version === 'v1' && signature)
    .some(([, signature]) => {
      const given = Buffer.from(signature, 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  return matches ? { valid: true, id, timestamp } : { valid: false, reason: 'no_matching_signature' };
}
