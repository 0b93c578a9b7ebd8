import { Controller, Get, Header, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { Public } from '../../platform/http/auth.decorators';
import { WebhookAckResponse } from '../inbox';
import { InboxWriter } from '../inbox';
import { ProblemDto } from '../../platform/http/problem.dto';
import { WebhookBodyError, WebhookSignatureError, WebhookVerificationError } from './whatsapp.errors';
import { verifyWhatsAppSignature } from './whatsapp-signature';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * Meta's webhook. The POST is the hot path: verify the signature over the raw bytes, store, acknowledge.
 * Parsing and ledger writes happen after the acknowledgement, from the inbox.
 */
@ApiTags('webhooks')
@Controller('webhooks/whatsapp')
export class WhatsAppController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inbox: InboxWriter,
    private readonly metrics: MetricsService,
  ) {}

  /** Verification handshake. Meta sends no signature on this GET, so it is not behind the signature check. */
  @Public()
  @Get()
  @Header('content-type', 'text/plain; charset=utf-8')
  @ApiOkResponse({
    description: 'hub.challenge, echoed.',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiForbiddenResponse({ type: ProblemDto })
  verify(
    @Query('hub.mode') mode?: string,
    @Query('hub.verify_token') token?: string,
    @Query('hub.challenge') challenge?: string,
  ): string {
    if (mode !== 'subscribe' || !token || !CryptoService.safeEqual(token, this.config.whatsapp.verifyToken)) {
      throw new WebhookVerificationError('hub.verify_token does not match, or hub.mode is not subscribe.', [
        { field: 'hub.verify_token', message: 'does not match' },
      ]);
    }
    if (!challenge || challenge.length > 512) {
      throw new WebhookVerificationError('hub.challenge is missing.', [
        { field: 'hub.challenge', message: 'is required' },
      ]);
    }
    return challenge;
  }

  @Public()
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookAckResponse })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'X-Hub-Signature-256 is missing or wrong.' })
  @ApiBadRequestResponse({ type: ProblemDto })
  async receive(@Req() request: RawRequest): Promise<{ status: 'received' | 'duplicate' }> {
    const started = process.hrtime.bigint();
    const raw = request.rawBody;
    const signature = request.headers['x-hub-signature-256'];
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
    const body: unknown = request.body;
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
