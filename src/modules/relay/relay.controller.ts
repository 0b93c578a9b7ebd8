import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { RequireScopes } from '../../platform/http/auth.decorators';
import { RequestValidationError } from '../../platform/http/problem';
import { ProblemDto } from '../../platform/http/problem.dto';
import type { RelayDeliveryStatus } from './entities/relay-delivery.entity';
import {
  RelayDeliveryPageResponse,
  RelayDestinationListResponse,
  RelayReplayDeadResponse,
  RelayReplayResponse,
} from './relay.responses';
import { RelayService } from './relay.service';

const STATUSES = ['pending', 'delivered', 'dead', 'erased'] as const;
const KEY = /^[0-9a-f]{16}$/;
const SEQ = /^[1-9][0-9]{0,17}$/;

class RelayDeliveryQueryDto {
  @ApiPropertyOptional({ description: 'A destination key (GET /v1/relay/destinations).' })
  @IsOptional()
  @Matches(KEY, { message: 'destination must be a destination key (16 hex digits)' })
  destination?: string;

  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES)
  status?: RelayDeliveryStatus;

  @ApiPropertyOptional({ description: 'Page: the `next` of the previous page (newest first).' })
  @IsOptional()
  @Matches(SEQ, { message: 'before must be a delivery id' })
  before?: string;

  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

function checked(name: string, value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value))
    throw new RequestValidationError(`${name} must be ${what}`, [
      { field: name, message: `must be ${what}` },
    ]);
  return value;
}

/**
 * The relay to the business's own WhatsApp integration: figures per destination, the delivery log, and replays
 * of what went dead. Replays are audited by the audit interceptor, as every POST is.
 */
@ApiTags('relay')
@ApiBearerAuth()
@Controller('v1/relay')
export class RelayController {
  constructor(private readonly relay: RelayService) {}

  /** Per destination: forwarded, retrying, dead, and the lag (age of the oldest delivery not yet forwarded). */
  @Get('destinations')
  @RequireScopes('deliveries:read')
  @ApiOkResponse({ type: RelayDestinationListResponse })
  async destinations() {
    return { items: await this.relay.destinations() };
  }

  /** The relay's delivery log, newest first; nothing personal in it. */
  @Get('deliveries')
  @RequireScopes('deliveries:read')
  @ApiOkResponse({ type: RelayDeliveryPageResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  deliveries(@Query() query: RelayDeliveryQueryDto) {
    return this.relay.deliveries({
      destination: query.destination,
      status: query.status,
      before: query.before,
      limit: query.limit ?? 100,
    });
  }

  /** Sends a dead delivery again now (marked as a redelivery: the receiver may have it). */
  @Post('deliveries/:id/replay')
  @HttpCode(202)
  @RequireScopes('deliveries:retry')
  @ApiAcceptedResponse({ type: RelayReplayResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  replay(@Param('id') id: string) {
    return this.relay.replay(checked('id', id, SEQ, 'a delivery id'));
  }

  /** Sends every dead delivery of a destination again now. */
  @Post('destinations/:key/replay-dead')
  @HttpCode(202)
  @RequireScopes('deliveries:retry')
  @ApiAcceptedResponse({ type: RelayReplayDeadResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  replayDead(@Param('key') key: string) {
    return this.relay.replayDead(checked('key', key, KEY, 'a destination key (16 hex digits)'));
  }
}
