/**
 * The sending side of Standard Webhooks 1.0, for the processor's confirmation callbacks: written from the
 * specification (like standard-webhooks-verifier.ts), not shared with the gateway, so a gateway that verified
 * differently from the specification would be caught.
 *
 * Signed content `${webhook-id}.${webhook-timestamp}.${body}`, HMAC-SHA256 keyed with the base64 after `whsec_`,
 * sent as `webhook-signature: v1,<base64>`.
 */
import { createHmac } from 'node:crypto';

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signedHeaders(secret: string, id: string, body: string, nowSeconds?: number): SignedHeaders {
  const timestamp = String(nowSeconds ?? Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
