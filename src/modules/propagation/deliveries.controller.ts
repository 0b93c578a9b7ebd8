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
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { uuidParam } from '../../platform/http/problem';
import { type ApiPrincipal, Principal, RequireScopes } from '../../platform/http/auth.decorators';
import { DeliveryService } from './delivery.service';
import { DeliveryPageResponse, DeliveryResponse } from './propagation.responses';
import { DPA_MISSING } from './dpa-hold';
import {
  ACKNOWLEDGED_NOT_CONFIRMED,
  type DeliveryOperation,
  type DeliveryStatus,
  RECORD_CAME_BACK,
} from './propagation.constants';

const STATUSES = [
  'pending',
  'in_progress',
  'succeeded',
  'retrying',
  'dead',
  'skipped',
  'awaiting_confirmation',
] as const;
const OPERATIONS = ['consent_update', 'erasure', 'restriction', 'rectification', 'access_export'] as const;
const FLAGS = [DPA_MISSING, RECORD_CAME_BACK, ACKNOWLEDGED_NOT_CONFIRMED] as const;

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

  @ApiPropertyOptional({ enum: OPERATIONS })
  @IsOptional()
  @IsIn(OPERATIONS)
  operation?: DeliveryOperation;

  @ApiPropertyOptional({
    enum: FLAGS,
    description: 'Only deliveries carrying this flag (dpa_missing: sent without a valid DPA).',
  })
  @IsOptional()
  @IsIn(FLAGS)
  flag?: string;

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

  @ApiPropertyOptional({ description: 'Page: the next_cursor of the previous page (newest first).' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(
    private readonly deliveries: DeliveryService,
    private readonly audit: AuditService,
  ) {}

  /**
   * The proof of propagation: each delivery's status, attempts and last error, newest first, across every
   * connection unless filtered; paged by next_cursor.
   */
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
      operation: query.operation,
      flag: query.flag,
      limit: query.limit ?? 100,
      before: query.before,
      cursor: query.cursor,
    });
  }

  @Get(':id')
  @RequireScopes('deliveries:read')
  @ApiOkResponse({ type: DeliveryResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(@Param('id', uuidParam('id')) id: string) {
    return this.deliveries.get(id);
  }

  /**
   * Retries a dead delivery (or one skipped for a reason a retry can change) now. Refused where a retry cannot
   * help: one skipped because the vendor has no record (sent again when a record appears), one held for a DPA.
   */
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
