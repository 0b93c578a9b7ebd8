import { Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { actorOf } from '../audit';
import { AuditService } from '../audit';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { ProblemDto } from '../../platform/http/problem.dto';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { uuidParam } from '../../platform/http/problem';
import { type ApiPrincipal, Principal, RequireScopes } from '../../platform/http/auth.decorators';
import { DeliveryService } from './delivery.service';
import { DeliveryPageResponse, DeliveryResponse } from './propagation.responses';
import type { DeliveryStatus } from './propagation.constants';

const STATUSES = [
  'pending',
  'in_progress',
  'succeeded',
  'retrying',
  'dead',
  'skipped',
  'awaiting_confirmation',
] as const;

class DeliveryQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  subject_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  connection_id?: string;

  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({
    description: 'Page: deliveries created before this time (next_before of the last page).',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  before?: string;
}

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(
    private readonly deliveries: DeliveryService,
    private readonly audit: AuditService,
  ) {}

  /** The proof of propagation: each delivery's status, attempts and last error. */
  @Get()
  @RequireScopes('deliveries:read')
  @ApiOkResponse({ type: DeliveryPageResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  async list(
    @Query() query: DeliveryQueryDto,
    @Principal() principal: ApiPrincipal,
    @Req() request: FastifyRequest,
  ) {
    if (query.subject_id) {
      // Which processors hold a person, and what they were told, is a look at that person's data.
      await this.audit.record({
        actor: actorOf(principal),
        action: 'person.deliveries',
        target: { type: 'subject', id: query.subject_id },
        ip: request.ip,
      });
    }
    return this.deliveries.list({
      subjectId: query.subject_id,
      connectionId: query.connection_id,
      status: query.status,
      limit: query.limit ?? 100,
      before: query.before,
    });
  }

  @Get(':id')
  @RequireScopes('deliveries:read')
  @ApiOkResponse({ type: DeliveryResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(@Param('id', uuidParam('id')) id: string) {
    return this.deliveries.get(id);
  }

  /** Retries a dead or skipped delivery now. */
  @Post(':id/retry')
  @HttpCode(202)
  @RequireScopes('deliveries:retry')
  @ApiAcceptedResponse({
    type: DeliveryResponse,
    description: 'The delivery reopened (or a newer open one that carries the current state).',
  })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  retry(@Param('id', uuidParam('id')) id: string) {
    return this.deliveries.retry(id);
  }
}
