import { Controller, Get, Header, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { Public } from '../../platform/http/auth.decorators';
import { WebhookAckResponse } from '../inbox';
import { ProblemDto } from '../../platform/http/problem.dto';
import { WebhookVerificationError } from './whatsapp.errors';
import { WhatsAppIntake, type WhatsAppAck } from './whatsapp-intake';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * Meta's webhook: the verification handshake, and the POST (WhatsAppIntake: verify, store, acknowledge;
 * parsing and ledger writes happen after the acknowledgement, from the inbox).
 */
@ApiTags('webhooks')
@Controller('webhooks/whatsapp')
export class WhatsAppController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly intake: WhatsAppIntake,
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

  /** Served by serveWhatsAppIntakeDirectly (whatsapp-intake.route.ts); declared here for OpenAPI. */
  @Public()
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookAckResponse })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'X-Hub-Signature-256 is missing or wrong.' })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiServiceUnavailableResponse({
    type: ProblemDto,
    description: 'The delivery could not be stored now; retry after the Retry-After header.',
  })
  receive(@Req() request: RawRequest): Promise<WhatsAppAck> {
    return this.intake.receive(request.rawBody, request.headers['x-hub-signature-256'], request.body);
  }
}
