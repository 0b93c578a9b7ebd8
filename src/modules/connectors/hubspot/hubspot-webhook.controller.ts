import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config';
import { CryptoService } from '../../../platform/crypto/crypto.service';
import { MetricsService } from '../../../platform/metrics/metrics.service';
import { Public } from '../../../platform/http/auth.decorators';
import { WebhookAckResponse } from '../../inbox';
import { InboxWriter } from '../../inbox';
import { ProblemDto } from '../../../platform/http/problem.dto';
import { CrmWebhookBodyError, CrmWebhookSignatureError } from '../connection.errors';
import { verifyHubspotSignatureV3 } from './hubspot-webhook';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * HubSpot's webhooks (signature v3, 5-minute window, constant-time compare): stored before they are
 * acknowledged, processed from the inbox like WhatsApp's.
 */
@ApiTags('webhooks')
@Controller('webhooks/hubspot')
export class HubspotWebhookController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inbox: InboxWriter,
    private readonly metrics: MetricsService,
  ) {}

  @Public()
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookAckResponse })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'The signature is missing, stale or wrong.' })
  @ApiBadRequestResponse({ type: ProblemDto })
  async receive(@Req() request: RawRequest): Promise<{ status: 'received' | 'duplicate' }> {
    const raw = request.rawBody;
    const secret = this.config.hubspot.clientSecret;
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const signature = header('x-hubspot-signature-v3');
    const timestamp = header('x-hubspot-request-timestamp');
    // The URI HubSpot signed is the public one it called, not what a proxy forwards internally.
    const uri = `${this.config.publicBaseUrl}${request.url}`;
    const valid =
      !!raw &&
      !!secret &&
      !!signature &&
      !!timestamp &&
      verifyHubspotSignatureV3({
        clientSecret: secret,
        method: 'POST',
        uri,
        rawBody: raw,
        signature,
        timestamp,
      });
    if (!valid) {
      this.metrics.webhookDeliveries.inc({ provider: 'hubspot', outcome: 'rejected_signature' });
      throw new CrmWebhookSignatureError('X-HubSpot-Signature-v3 is missing, stale or does not match.', [
        { field: 'x-hubspot-signature-v3', message: 'missing, stale or invalid' },
      ]);
    }
    if (!Array.isArray(request.body)) {
      throw new CrmWebhookBodyError('HubSpot sends a JSON array of events.', [
        { field: 'body', message: 'must be an array' },
      ]);
    }
    const stored = await this.inbox.append({
      provider: 'hubspot',
      deliveryId: CryptoService.sha256Hex(raw),
      rawBody: raw,
      signature,
    });
    this.metrics.webhookDeliveries.inc({
      provider: 'hubspot',
      outcome: stored.duplicate ? 'duplicate' : 'stored',
    });
    return { status: stored.duplicate ? 'duplicate' : 'received' };
  }
}
