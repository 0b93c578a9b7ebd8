import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HubspotWebhookEvent } from './hubspot.types';

/** HubSpot's v3 window: requests older than this are rejected (replay protection). */
export const HUBSPOT_SIGNATURE_MAX_AGE_MS = 5 * 60_000;

/**
 * Percent-escapes HubSpot decodes in the URI before signing (reference §5; exact list unconfirmed).
 * Decoding exactly these, and nothing else, keeps e.g. an encoded `%26` in a query value as it was sent.
 */
const URI_DECODES: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

export function decodeHubspotUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => URI_DECODES[m.toUpperCase()] ?? m);
}

export interface HubspotSignatureInput {
  /** The app's client secret. */
  clientSecret: string;
  /** HTTP method as received (POST). */
  method: string;
  /** The full public URL HubSpot called (scheme, host, path, query); rebuild it behind a proxy. */
  uri: string;
  /** The raw request body bytes: re-serialised JSON does not verify. */
  rawBody: Buffer;
  /** `X-HubSpot-Signature-v3`, as received (never URL-decoded: base64 `+` must stay). */
  signature: string;
  /** `X-HubSpot-Request-Timestamp` (ms epoch), hashed exactly as received. */
  timestamp: string;
  now?: number;
}

/**
 * Verifies `X-HubSpot-Signature-v3`: base64(HMAC-SHA256(clientSecret, method + uri + rawBody + timestamp)),
 * with a 5-minute window enforced here (the SDK's check uses ===, needs a numeric timestamp and does not
 * URL-decode; hubspot-api-python #247 accepted 50 minutes). Never throws.
 */
export function verifyHubspotSignatureV3(input: HubspotSignatureInput): boolean {
  const { clientSecret, method, uri, rawBody, signature, timestamp } = input;
  if (!clientSecret || !signature || !/^\d{1,16}$/.test(timestamp)) return false;
  const age = (input.now ?? Date.now()) - Number(timestamp);
  // Also refuse timestamps far in the future (a clock that far off cannot be trusted either).
  if (!(Math.abs(age) <= HUBSPOT_SIGNATURE_MAX_AGE_MS)) return false;
  const expected = createHmac('sha256', clientSecret)
    .update(method, 'utf8')
    .update(decodeHubspotUri(uri), 'utf8')
    .update(rawBody)
    .update(timestamp, 'utf8')
    .digest('base64');
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(signature.trim(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function idString(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  return null;
}

function optString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * The events of a HubSpot webhook body (a JSON array, possibly batched). Entries without an event id,
 * portal, object id, type or a valid time are dropped; never throws.
 */
export function parseHubspotEvents(body: unknown): HubspotWebhookEvent[] {
  if (!Array.isArray(body)) return [];
  const events: HubspotWebhookEvent[] = [];
  for (const raw of body as unknown[]) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) continue;
    const e = raw as Record<string, unknown>;
    const eventId = idString(e.eventId);
    const portalId = idString(e.portalId);
    const objectId = idString(e.objectId);
    const subscriptionType = typeof e.subscriptionType === 'string' ? e.subscriptionType : '';
    const occurredMs = typeof e.occurredAt === 'string' ? Number(e.occurredAt) : e.occurredAt;
    if (!eventId || !portalId || !objectId || !subscriptionType) continue;
    if (typeof occurredMs !== 'number' || !Number.isFinite(occurredMs) || occurredMs <= 0) continue;
    const occurred = new Date(occurredMs);
    if (Number.isNaN(occurred.getTime())) continue;
    const event: HubspotWebhookEvent = {
      eventId,
      portalId: Number(portalId),
      objectId,
      subscriptionType,
      occurredAt: occurred.toISOString(),
    };
    const propertyName = optString(e.propertyName);
    if (propertyName !== undefined) event.propertyName = propertyName;
    const propertyValue = optString(e.propertyValue);
    if (propertyValue !== undefined) event.propertyValue = propertyValue;
    const changeSource = optString(e.changeSource);
    if (changeSource !== undefined) event.changeSource = changeSource;
    const sourceId = optString(e.sourceId);
    if (sourceId !== undefined) event.sourceId = sourceId;
    if (typeof e.attemptNumber === 'number' && Number.isInteger(e.attemptNumber)) {
      event.attemptNumber = e.attemptNumber;
    }
    events.push(event);
  }
  return events;
}
