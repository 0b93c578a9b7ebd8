import {
  NO_READ_API,
  type AccessPull,
  type ConnectorError,
  type ErasurePush,
  type RectificationPush,
  type RequestOutcome,
  type RestrictionPush,
  type SubjectRef,
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
import { testFailure } from '../test-outcome';
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
 * carrying the person's current state; data-subject requests are signed `subject.*` events. The webhook-id is the delivery id, stable across retries, so the
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
      throw refused(`webhook URL refused: ${error.message}`);
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
          // Checks the connection itself: the address it connects to, whatever DNS answers by then.
          agent: this.guard.agentFor(url),
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
            ? refused(error.message)
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

  // ------------------------------------------------------------------ data-subject requests

  /**
   * Where the processor confirms an erasure: a Standard-Webhooks-signed callback with this connection's own secret
   * (the propagation module verifies it and records the confirmation).
   */
  private get confirmUrl(): string {
    return `${this.deps.publicBaseUrl.replace(/\/+$/, '')}/v1/processors/${this.context.id}/confirmations`;
  }

  /**
   * Art. 17: a signed `subject.erasure_requested` event with the identifiers the processor holds the person by and
   * where to confirm. The processor erases asynchronously, so the outcome is `awaiting_confirmation`.
   */
  async erase(items: ErasurePush[]): Promise<RequestOutcome[]> {
    return this.sendEach(items, 'erasure', (item) => ({
      type: 'subject.erasure_requested',
      data: { ...subjectData(item), confirm_url: this.confirmUrl },
      outcome: 'awaiting_confirmation',
    }));
  }

  /** Art. 18: `subject.restricted`, or `subject.restriction_lifted` when the restriction is lifted. */
  async restrict(items: RestrictionPush[]): Promise<RequestOutcome[]> {
    return this.sendEach(items, 'restriction', (item) => ({
      type: item.restricted ? 'subject.restricted' : 'subject.restriction_lifted',
      data: subjectData(item),
      outcome: 'succeeded',
    }));
  }

  /** Art. 16 and 19: `subject.rectified` with the identifiers replaced and the corrected ones. */
  async rectify(items: RectificationPush[]): Promise<RequestOutcome[]> {
    return this.sendEach(items, 'rectification', (item) => ({
      type: 'subject.rectified',
      data: {
        delivery_id: item.deliveryId,
        request_id: item.requestId,
        subject_id: item.subjectId,
        previous: { phones: item.previous.phones, emails: item.previous.emails },
        current: { phones: item.current.phones, emails: item.current.emails },
      },
      outcome: 'succeeded',
    }));
  }

  /** A webhook processor offers no way to read what it holds: the DPO asks it (a manual task). */
  readPerson(items: AccessPull[]): Promise<RequestOutcome[]> {
    return Promise.resolve(
      items.map((i) => ({ deliveryId: i.deliveryId, outcome: 'skipped' as const, reason: NO_READ_API })),
    );
  }

  /**
   * One signed event per item. The webhook-id is the delivery id and the operation, stable across retries, so the
   * processor deduplicates a redelivery. Evidence: the event type and webhook-id, never values.
   */
  private async sendEach<T extends SubjectRef>(
    items: T[],
    operation: string,
    build: (item: T) => {
      type: string;
      data: Record<string, unknown>;
      outcome: 'succeeded' | 'awaiting_confirmation';
    },
  ): Promise<RequestOutcome[]> {
    return this.forEach(items, async (item): Promise<RequestOutcome> => {
      const event = build(item);
      const webhookId = `${item.deliveryId}_${operation}`;
      this.classify(await this.post(webhookId, event.type, event.data));
      return {
        deliveryId: item.deliveryId,
        outcome: event.outcome,
        vendorReference: webhookId,
        evidence: { event_type: event.type, webhook_id: webhookId, signed: true },
      };
    });
  }

  /**
   * Runs `send` for every item, CONCURRENCY at a time. A throttle answer throttles the whole connection: it is
   * thrown for the batch; any other failure fails its item.
   */
  private async forEach<T extends { deliveryId: string }, O>(
    items: T[],
    send: (item: T) => Promise<O>,
  ): Promise<Array<O | { deliveryId: string; outcome: 'failed'; error: ConnectorError }>> {
    type Failed = { deliveryId: string; outcome: 'failed'; error: ConnectorError };
    const outcomes = new Array<O | Failed>(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const index = next++;
        try {
          outcomes[index] = await send(items[index]);
        } catch (error) {
          if (error instanceof RateLimitedError) throw error;
          outcomes[index] = {
            deliveryId: items[index].deliveryId,
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

  async pushConsent(items: ConsentPush[]): Promise<PushOutcome[]> {
    return this.forEach(items, async (item): Promise<PushOutcome> => {
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
      this.classify(await this.post(item.deliveryId, 'consent.changed', data));
      return { deliveryId: item.deliveryId, outcome: 'succeeded', pushed: { states: data.states } };
    });
  }

  /** A signed test event; a failure is told in generic words (test-outcome.ts), never the network error. */
  async test(): Promise<TestResult> {
    let response: WebhookResponse;
    try {
      response = await this.post(`test_${randomUUID()}`, 'gateway.test', {
        message: 'Consent Gateway connection test',
      });
    } catch (error) {
      return testFailure(error);
    }
    try {
      this.classify(response);
      return { ok: true, detail: 'the processor accepted a signed test event' };
    } catch (error) {
      return testFailure(error, response.status);
    }
  }

  /** A webhook processor has no contact list to page through. */
  async listContacts(): Promise<RemotePage> {
    return { contacts: [], next: null };
  }
}

/** A URL or connection the outbound guard refused: permanent, with the guard's EPRIVATE code kept. */
function refused(message: string): PermanentError {
  return Object.assign(new PermanentError(message), { code: 'EPRIVATE' });
}

/** Who an event is about: the gateway's ids and the identifiers the processor may hold them by. */
function subjectData(item: SubjectRef): Record<string, unknown> {
  return {
    delivery_id: item.deliveryId,
    request_id: item.requestId,
    subject_id: item.subjectId,
    identifiers: { phones: item.phones, emails: item.emails },
  };
}
