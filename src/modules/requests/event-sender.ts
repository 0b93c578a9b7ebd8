import { Inject, Injectable } from '@nestjs/common';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { OutboundGuard } from '../../platform/http/outbound-guard';
import { signStandardWebhook } from '../connectors';
import type { EventAttempt } from './event-retry';

/** Seconds or an HTTP date, as Retry-After may carry. */
function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Sends one request event as a Standard Webhooks message: `webhook-id` is the outbox row's id (the same on
 * every retry, so receivers de-duplicate), `webhook-timestamp` the attempt's time, `webhook-signature` the
 * HMAC with the subscription's secret. The URL is checked again before each attempt and at connect time
 * (a DNS answer may change), redirects are not followed, and the answer's body is never read into logs.
 */
@Injectable()
export class EventSender {
  private readonly timeoutMs: number;

  constructor(
    private readonly guard: OutboundGuard,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.timeoutMs = config.connectorTimeoutMs;
  }

  async send(
    target: { url: string; secret: string },
    id: string,
    body: string,
    nowMs: number,
  ): Promise<EventAttempt> {
    let url: URL;
    try {
      url = await this.guard.check(target.url, { requireHttps: true });
    } catch (error) {
      return { delivered: false, status: null, error: `URL refused: ${(error as Error).message}` };
    }
    const timestamp = Math.floor(nowMs / 1000);
    return new Promise<EventAttempt>((resolve) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: 'POST',
          agent: this.guard.agentFor(url),
          timeout: this.timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'consent-gateway/0.1',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signStandardWebhook(target.secret, id, timestamp, body),
          },
        },
        (res: IncomingMessage) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve({ delivered: true, status });
            resolve({
              delivered: false,
              status,
              error: `receiver answered ${status}`,
              retryAfterMs: retryAfterMs(res.headers['retry-after'], nowMs),
            });
          });
          res.on('error', (error) =>
            resolve({ delivered: false, status: null, error: `response error: ${error.message}` }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (error) =>
        resolve({ delivered: false, status: null, error: `request failed: ${error.message}` }),
      );
      req.end(body);
    });
  }
}
