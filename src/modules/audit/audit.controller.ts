import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { RequireScopes } from '../../platform/http/auth.decorators';
import {
  AuditAnchorCheckResponse,
  AuditAnchorResponse,
  AuditChainResponse,
  AuditPageResponse,
} from './audit.responses';
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

class AuditVerifyQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description: 'true: walk the whole chain from its first entry; false: from the verified checkpoint.',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  full?: 'true' | 'false';
}

/** An anchor as `GET /v1/audit/anchor` returned it, given back unchanged. */
class AuditAnchorDto {
  @ApiProperty({ description: 'The place in the chain of the anchored entry.' })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  sequence!: number;

  @ApiProperty({ pattern: '^[0-9a-f]{64}$' })
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'hash must be 64 lowercase hex characters' })
  hash!: string;

  @ApiProperty({ format: 'date-time' })
  @IsString()
  @MaxLength(40)
  @IsISO8601({ strict: true })
  at!: string;

  @ApiProperty({ pattern: '^[0-9a-f]{64}$' })
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'mac must be 64 lowercase hex characters' })
  mac!: string;
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** The newest entries first, and the verification of what was added since the last verified checkpoint. */
  @Get()
  @RequireScopes('audit:read')
  @ApiOkResponse({ type: AuditPageResponse })
  async list(@Query() query: AuditQueryDto) {
    // Verified first: it chains what is pending, so the page shows every entry with its place.
    const chain = await this.audit.verify();
    const events = await this.audit.list({
      limit: query.limit ?? 100,
      beforeSeq: query.before ? String(query.before) : undefined,
      action: query.action,
      targetId: query.target_id,
      actorId: query.actor_id,
    });
    return { events, chain };
  }

  /** Verifies the chain: from the checkpoint, or (`full=true`) from its first entry. */
  @Get('verify')
  @RequireScopes('audit:read')
  @ApiOkResponse({ type: AuditChainResponse })
  verify(@Query() query: AuditVerifyQueryDto) {
    return query.full === 'true' ? this.audit.verifyFull() : this.audit.verify();
  }

  /** The head of the chain with a MAC under the chain key: export it, and check it later. */
  @Get('anchor')
  @RequireScopes('audit:read')
  @ApiOkResponse({ type: AuditAnchorResponse })
  anchor() {
    return this.audit.anchor();
  }

  /** Whether the log still holds an exported anchor (the newest entries were not removed), and verifies. */
  @Post('verify')
  @HttpCode(200)
  @RequireScopes('audit:read')
  @ApiOkResponse({ type: AuditAnchorCheckResponse })
  checkAnchor(@Body() anchor: AuditAnchorDto) {
    return this.audit.checkAnchor(anchor);
  }
}
