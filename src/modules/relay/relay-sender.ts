import { Inject, Injectable } from '@nestjs/common';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { OutboundGuard } from '../../platform/http/outbound-guard';
import type { RelayAttempt } from './relay-backoff';

/**
 * POSTs one delivery's exact bytes to one destination. The URL is checked by the SSRF guard before each attempt
 * and again at connect time by its agent (a DNS answer may change); redirects are not followed; the answer's
 * body is drained and never kept or logged (it may echo personal data).
 */
@Injectable()
export class RelaySender {
  private readonly timeoutMs: number;

  constructor(
    private readonly guard: OutboundGuard,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.timeoutMs = config.relay.timeoutMs;
  }

  async send(rawUrl: string, body: Buffer, headers: Record<string, string>): Promise<RelayAttempt> {
    let url: URL;
    try {
      url = await this.guard.check(rawUrl);
    } catch (error) {
      return { delivered: false, status: null, error: `URL refused: ${(error as Error).message}` };
    }
    return new Promise<RelayAttempt>((resolve) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        url,
        { method: 'POST', agent: this.guard.agentFor(url), timeout: this.timeoutMs, headers },
        (res: IncomingMessage) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve({ delivered: true, status });
            resolve({ delivered: false, status, error: `receiver answered ${status}` });
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
