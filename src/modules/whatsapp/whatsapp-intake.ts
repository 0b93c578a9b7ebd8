import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { InboxWriter } from '../inbox';
import { WebhookBodyError, WebhookSignatureError } from './whatsapp.errors';
import { whatsAppLane } from './whatsapp-lane';
import { verifyWhatsAppSignature } from './whatsapp-signature';

export type WhatsAppAck = { status: 'received' | 'duplicate' };

/**
 * Meta's webhook POST, the hot path, whoever serves it (the Nest controller or the direct route): verify
 * the signature over the raw bytes, classify the lane, store, acknowledge. Parsing and ledger writes
 * happen after the acknowledgement, from the inbox. Every refusal is an error the problem mapping knows.
 */
@Injectable()
export class WhatsAppIntake {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inbox: InboxWriter,
    private readonly metrics: MetricsService,
  ) {}

  async receive(raw: Buffer | undefined, signature: unknown, body: unknown): Promise<WhatsAppAck> {
    const started = process.hrtime.bigint();
    if (
      !raw ||
      !verifyWhatsAppSignature(
        this.config.whatsapp.appSecret,
        raw,
        typeof signature === 'string' ? signature : undefined,
      )
    ) {
      this.metrics.webhookDeliveries.inc({ provider: 'whatsapp', outcome: 'rejected_signature' });
      throw new WebhookSignatureError('X-Hub-Signature-256 is missing or does not match the body.', [
        { field: 'x-hub-signature-256', message: 'missing or invalid' },
      ]);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      this.metrics.webhookDeliveries.inc({ provider: 'whatsapp', outcome: 'invalid' });
      throw new WebhookBodyError('The body must be a JSON object.', [
        { field: 'body', message: 'must be an object' },
      ]);
    }
    // Meta has no delivery id; the digest of the bytes is one, and Meta's retries repeat the bytes.
    const stored = await this.inbox.append({
      provider: 'whatsapp',
      deliveryId: CryptoService.sha256Hex(raw),
      rawBody: raw,
      signature: signature as string,
      lane: whatsAppLane(body),
    });
    this.metrics.webhookDeliveries.inc({
      provider: 'whatsapp',
      outcome: stored.duplicate ? 'duplicate' : 'stored',
    });
    this.metrics.intakeLatency.observe(
      { provider: 'whatsapp' },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    return { status: stored.duplicate ? 'duplicate' : 'received' };
  }
}
