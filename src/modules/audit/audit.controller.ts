import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { AuditPageResponse } from './audit.responses';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { RequireScopes } from '../../platform/http/auth.decorators';
import { AuditService } from './audit.service';

class AuditQueryDto {
  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'Page: entries before this sequence number.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  before?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  action?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  target_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor_id?: string;
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** The newest entries first, and the verification of the whole hash chain. */
  @Get()
  @RequireScopes('audit:read')
  @ApiOkResponse({ type: AuditPageResponse })
  async list(@Query() query: AuditQueryDto) {
    const [events, chain] = await Promise.all([
      this.audit.list({
        limit: query.limit ?? 100,
        beforeSeq: query.before ? String(query.before) : undefined,
        action: query.action,
        targetId: query.target_id,
        actorId: query.actor_id,
      }),
      this.audit.verify(),
    ]);
    return { events, chain };
  }
}
