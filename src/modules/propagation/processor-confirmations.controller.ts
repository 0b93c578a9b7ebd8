import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../platform/http/auth.decorators';
import { uuidParam } from '../../platform/http/problem';
import { ProblemDto } from '../../platform/http/problem.dto';
import { ProcessorConfirmations } from './processor-confirmations.service';
import { ConfirmationAcceptedResponse } from './propagation.responses';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * Where a webhook processor confirms an erasure it was asked for (the `confirm_url` of the
 * `subject.erasure_requested` event). Authenticated by the Standard Webhooks signature made with the
 * connection's own signing secret, not by an API key.
 */
@ApiTags('processors')
@Controller('v1/processors')
export class ProcessorConfirmationsController {
  constructor(private readonly confirmations: ProcessorConfirmations) {}

  @Public()
  @Post(':connectionId/confirmations')
  @HttpCode(202)
  @ApiOperation({
    summary: "A processor's signed confirmation that it erased (or could not erase) a person",
    description:
      'Body: { "type": "subject.erasure_completed" | "subject.erasure_failed", "data": { "delivery_id": uuid, ' +
      '"detail"?: text } }, signed per Standard Webhooks with the connection\'s signing secret (timestamps ' +
      'within five minutes). Idempotent on webhook-id.',
  })
  @ApiHeader({ name: 'webhook-id', required: true })
  @ApiHeader({ name: 'webhook-timestamp', required: true, description: 'Unix seconds' })
  @ApiHeader({
    name: 'webhook-signature',
    required: true,
    description: 'v1,<base64 HMAC-SHA256> (space-separated list)',
  })
  @ApiAcceptedResponse({ type: ConfirmationAcceptedResponse })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'The signature is missing, stale or wrong.' })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'The body is not the documented shape.' })
  @ApiNotFoundResponse({ type: ProblemDto, description: 'No such delivery at this connection.' })
  async confirm(
    @Param('connectionId', uuidParam('connectionId')) connectionId: string,
    @Req() request: RawRequest,
  ): Promise<ConfirmationAcceptedResponse> {
    const result = await this.confirmations.confirm({
      connectionId,
      headers: request.headers,
      rawBody: request.rawBody,
    });
    return { status: result.status, delivery_status: result.deliveryStatus };
  }
}
