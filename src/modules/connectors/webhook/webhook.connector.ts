import {
  type AccessPull,
  type ErasurePush,
  type RectificationPush,
  type RequestOutcome,
  type RestrictionPush,
} from '../connector.port';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomUUID } from 'node:crypto';
import type { OutboundGuard } from '../../../platform/http/outbound-guard';
import {
  type ConnectionContext,
  type Connector,
  type ConnectorDeps,
  type ConsentPush,
  PermanentError,
  type PushOutcome,
  RateLimitedError,
  type RemotePage,
  type TestResult,
  TransientError,
} from '../connector.port';
import { signStandardWebhook } from './standard-webhooks';

const CONCURRENCY = 8;

interface WebhookResponse {
  status: number;
  retryAfter: string | undefined;
}

/** Seconds or an HTTP date, as Retry-After may carry; default when absent. */
export function retryAfterMs(value: string | undefined, fallbackMs: number): number {
  if (!value) return fallbackMs;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? fallbackMs : Math.max(0, at - Date.now());
}

/**
 * A generic processor reached by Standard Webhooks: every change is a signed `consent.changed` event
 * carrying the person's current state. The webhook-id is the delivery id, stable across retries, so the
 * receiver can deduplicate. Redirects are not followed; private addresses are refused at connect time.
 */
export class WebhookConnector implements Connector {
  constructor(
    private readonly context: ConnectionContext,
    private readonly deps: ConnectorDeps,
    private readonly guard: OutboundGuard,
    private readonly timeoutMs = 15_000,
  ) {}

  private get url(): URL {
    const raw = this.context.credentials.url;
    if (!raw) throw new PermanentError('webhook connection has no URL');
    return new URL(raw);
  }

  async ensureSetup(): Promise<Record<string, unknown>> {
    return {};
  }

  /** One signed POST; resolves with the status, rejects with a classified ConnectorError. */
  private async post(id: string, type: string, data: unknown): Promise<WebhookResponse> {
    const secret = this.context.credentials.signingSecret;
    if (!secret) throw new PermanentError('webhook connection has no signing secret');
    const url = this.url;
    await this.guard.check(url.toString(), { requireHttps: true }).catch((error: Error) => {
      throw new PermanentError(`webhook URL refused: ${error.message}`);
    });
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
    const timestamp = Math.floor(Date.now() / 1000);
    await this.deps.pace();
    return new Promise<WebhookResponse>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: 'POST',
          lookup: this.guard.lookupFor(url),
          timeout: this.timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'consent-gateway/0.1',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signStandardWebhook(secret, id, timestamp, body),
          },
        },
        (res: IncomingMessage) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }),
          );
          res.on('error', (error) => reject(new TransientError(`response error: ${error.message}`)));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EPRIVATE'
            ? new PermanentError(error.message)
            : new TransientError(`request failed: ${error.message}`),
        ),
      );
      req.end(body);
    });
  }

  /** Standard Webhooks delivery semantics: 2xx ok; 429/502/503/504 throttle; 410 gone; 3xx and 4xx fail. */
  private classify(response: WebhookResponse): void {
    const { status } = response;
    if (status >= 200 && status < 300) return;
    if (status === 429 || status === 502 || status === 503 || status === 504) {
      throw new RateLimitedError(`processor answered ${status}`, retryAfterMs(response.retryAfter, 5_000));
    }
    if (status >= 500) throw new TransientError(`processor answered ${status}`);
    if (status === 410) throw new PermanentError('processor answered 410 Gone: the endpoint is retired');
    if (status >= 300 && status < 400)
      throw new PermanentError(`processor answered a redirect (${status}); redirects are not followed`);
    throw new PermanentError(`processor answered ${status}`);
  }

  // PLACEHOLDER on the dsr-base branch only: the connector helpers replace these with the real operations.
  erase(items: ErasurePush[]): Promise<RequestOutcome[]> {
    return Promise.resolve(items.map((i) => notYet(i.deliveryId)));
  }
  restrict(items: RestrictionPush[]): Promise<RequestOutcome[]> {
    return Promise.resolve(items.map((i) => notYet(i.deliveryId)));
  }
  rectify(items: RectificationPush[]): Promise<RequestOutcome[]> {
    return Promise.resolve(items.map((i) => notYet(i.deliveryId)));
  }
  readPerson(items: AccessPull[]): Promise<RequestOutcome[]> {
    return Promise.resolve(items.map((i) => notYet(i.deliveryId)));
  }

  async pushConsent(items: ConsentPush[]): Promise<PushOutcome[]> {
    const outcomes: PushOutcome[] = new Array<PushOutcome>(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const index = next++;
        const item = items[index];
        const data = {
          subject_id: item.subjectId,
          // phone/email: the first known (the payload as it has always been); phones/emails: all of them.
          identities: {
            phone: item.phones[0] ?? null,
            phones: item.phones,
            wa_id: item.waId,
            email: item.emails[0] ?? null,
            emails: item.emails,
          },
          states: item.states.map((s) => ({
            purpose: s.purpose,
            channel: s.channel,
            scope: s.scope,
            status: s.status,
            captured_at: s.capturedAt,
            event_id: s.eventId,
          })),
        };
        try {
          this.classify(await this.post(item.deliveryId, 'consent.changed', data));
          outcomes[index] = {
            deliveryId: item.deliveryId,
            outcome: 'succeeded',
            pushed: { states: data.states },
          };
        } catch (error) {
          // A throttle answer throttles the whole connection: surface it for the batch.
          if (error instanceof RateLimitedError) throw error;
          outcomes[index] = {
            deliveryId: item.deliveryId,
            outcome: 'failed',
            error:
              error instanceof PermanentError || error instanceof TransientError
                ? error
                : new TransientError(String(error)),
          };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
    return outcomes;
  }

  async test(): Promise<TestResult> {
    try {
      this.classify(
        await this.post(`test_${randomUUID()}`, 'gateway.test', {
          message: 'Consent Gateway connection test',
        }),
      );
      return { ok: true, detail: 'the processor accepted a signed test event' };
    } catch (error) {
      return { ok: false, detail: (error as Error).message };
    }
  }

  /** A webhook processor has no contact list to page through. */
  async listContacts(): Promise<RemotePage> {
    return { contacts: [], next: null };
  }
}

function notYet(deliveryId: string): RequestOutcome {
  return { deliveryId, outcome: 'failed', error: new PermanentError('not built yet') };
}
