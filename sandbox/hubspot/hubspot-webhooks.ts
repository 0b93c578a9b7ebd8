import { createHash, createHmac } from 'node:crypto';
import type { WebhookEvent } from './hubspot-state';

/**
 * HubSpot's webhook delivery as the simulator reproduces it: a POST whose body is a JSON array of events,
 * signed with v1 (`X-HubSpot-Signature`, hex sha256(secret + body)) and v3 (`X-HubSpot-Signature-v3`,
 * base64 HMAC-SHA256(secret, method + uri + body + timestamp)) at once.
 */

export interface WebhookEventInput {
  subscriptionType: string;
  objectId: number | string;
  eventId?: number;
  subscriptionId?: number;
  portalId?: number;
  appId?: number;
  occurredAt?: number;
  attemptNumber?: number;
  propertyName?: string;
  propertyValue?: string;
  changeSource?: string;
  sourceId?: string;
  changeFlag?: string;
  [key: string]: unknown;
}

export interface WebhookDelivery {
  status: number;
  body: string;
  /** Exactly what was sent, for assertions. */
  request: { url: string; body: string; headers: Record<string, string> };
}

export interface SendWebhooksOptions {
  /** Defaults to now; override to rehearse stale timestamps. */
  timestamp?: number;
  /** HubSpot batches up to 100 events per request (unconfirmed exact cap); default 100. */
  batchSize?: number;
  /** Defaults for events that omit them. */
  portalId?: number;
  appId?: number;
  /** Abort a delivery after this many ms (HubSpot allows 5 s; default 5000). */
  timeoutMs?: number;
}

let eventSequence = 1_000_000_000;

/** Fills the HubSpot defaults (eventId, subscriptionId, occurredAt, attemptNumber …) into each event. */
export function completeWebhookEvent(
  input: WebhookEventInput,
  defaults: { portalId?: number; appId?: number } = {},
): WebhookEvent {
  const objectId = typeof input.objectId === 'number' ? input.objectId : Number(input.objectId);
  const event: WebhookEvent = {
    ...input,
    eventId: input.eventId ?? ++eventSequence,
    subscriptionId: input.subscriptionId ?? subscriptionIdFor(input.subscriptionType),
    portalId: input.portalId ?? defaults.portalId ?? 0,
    appId: input.appId ?? defaults.appId ?? 0,
    occurredAt: input.occurredAt ?? Date.now(),
    subscriptionType: input.subscriptionType,
    attemptNumber: input.attemptNumber ?? 0,
    objectId,
  };
  if (input.subscriptionType === 'contact.propertyChange') {
    event.changeSource ??= 'CRM_UI';
    event.changeFlag ??= 'PROPERTY_CHANGED';
  }
  return event;
}

function subscriptionIdFor(type: string): number {
  // Stable per type, like a real app whose subscriptions were created once.
  let hash = 0;
  for (const ch of type) hash = (hash * 31 + ch.charCodeAt(0)) % 900_000;
  return 100_000 + hash;
}

/** v3: base64(HMAC-SHA256(key = client secret, method + uri + body + timestamp)). */
export function signatureV3(
  clientSecret: string,
  method: string,
  uri: string,
  body: string,
  timestamp: string,
): string {
  return createHmac('sha256', clientSecret)
    .update(`${method}${uri}${body}${timestamp}`, 'utf8')
    .digest('base64');
}

/** v1: hex(sha256(client secret + body)). */
export function signatureV1(clientSecret: string, body: string): string {
  return createHash('sha256').update(`${clientSecret}${body}`, 'utf8').digest('hex');
}

/** Posts the events (batched) to `targetUrl`, signed with `appSecret` (the app's client secret). */
export async function sendWebhooks(
  targetUrl: string,
  appSecret: string,
  events: WebhookEventInput[],
  options: SendWebhooksOptions = {},
): Promise<WebhookDelivery[]> {
  const complete = events.map((e) => completeWebhookEvent(e, options));
  const batchSize = options.batchSize ?? 100;
  const deliveries: WebhookDelivery[] = [];
  for (let i = 0; i < complete.length; i += batchSize) {
    const body = JSON.stringify(complete.slice(i, i + batchSize));
    const timestamp = String(options.timestamp ?? Date.now());
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon-executor',
      'X-HubSpot-Signature': signatureV1(appSecret, body),
      'X-HubSpot-Signature-Version': 'v1',
      'X-HubSpot-Signature-v3': signatureV3(appSecret, 'POST', targetUrl, body, timestamp),
      'X-HubSpot-Request-Timestamp': timestamp,
      'X-HubSpot-Timeout-Millis': String(options.timeoutMs ?? 5000),
    };
    const res = await fetch(targetUrl, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    deliveries.push({
      status: res.status,
      body: await res.text(),
      request: { url: targetUrl, body, headers },
    });
  }
  return deliveries;
}
