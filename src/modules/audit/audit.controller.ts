import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiProduces,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
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
import { ACTION_AREAS, actionsOfArea, type ActionArea } from './audit-actions';
import type { AuditFilter } from './audit-event.repository';
import { toCsv } from '../../platform/http/csv';

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

  @ApiPropertyOptional({ description: 'Who: part of the name of the user (their email) or API key.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ enum: Object.keys(ACTION_AREAS), description: 'What: an area of actions.' })
  @IsOptional()
  @IsIn(Object.keys(ACTION_AREAS), { message: 'area must be one of the areas the audit log names' })
  area?: ActionArea;

  @ApiPropertyOptional({
    enum: ['success', 'failure'],
    description: 'failure: refused (401/403, wrong passwords) and failed (any other 4xx/5xx).',
  })
  @IsOptional()
  @IsIn(['success', 'failure'], { message: 'outcome must be success or failure' })
  outcome?: 'success' | 'failure';

  @ApiPropertyOptional({ format: 'date-time', description: 'When: entries at or after this instant.' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @IsISO8601({ strict: true }, { message: 'from must be a date or a date and time' })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'When: entries before this instant.' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @IsISO8601({ strict: true }, { message: 'to must be a date or a date and time' })
  to?: string;
}

/** The filter a query names (the page and the CSV export read the same). */
function filterOf(query: AuditQueryDto, limit: number): AuditFilter {
  return {
    limit,
    beforeSeq: query.before ? String(query.before) : undefined,
    action: query.action,
    actions: query.area ? actionsOfArea(query.area) : undefined,
    targetId: query.target_id,
    actorId: query.actor_id,
    actorName: query.actor?.trim() || undefined,
    outcome: query.outcome,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
  };
}

const CSV_COLUMNS = [
  'when',
  'who',
  'actor_type',
  'action',
  'outcome',
  'status',
  'target',
  'from',
  'entry',
] as const;
/** The most rows one export holds (newest first); narrow the filter for older ones. */
const CSV_MAX_ROWS = 50_000;

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
    const limit = query.limit ?? 100;
    const events = await this.audit.list(filterOf(query, limit));
    const last = events[events.length - 1];
    return { events, chain, next_before: events.length === limit && last ? last.seq : null };
  }

  /**
   * The filtered entries as CSV (newest first, at most 50,000), actions and outcomes in words. Text that a
   * spreadsheet would run as a formula is neutralised (platform/http/csv.ts).
   */
  @Get('export.csv')
  @RequireScopes('audit:read')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'RFC 4180 CSV', schema: { type: 'string' } })
  async exportCsv(@Query() query: AuditQueryDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const events = await this.audit.list(filterOf(query, CSV_MAX_ROWS));
    const stamp = new Date().toISOString().slice(0, 10);
    void reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-log-${stamp}.csv"`)
      .header('cache-control', 'no-store');
    return toCsv(
      CSV_COLUMNS,
      events.map((e) => ({
        when: e.at,
        who: e.actor.name ?? (e.actor.type === 'anonymous' ? 'not signed in' : e.actor.type),
        actor_type: e.actor.type,
        action: e.action_words,
        outcome: e.result_words,
        status: e.status,
        target: e.target ? `${e.target.type} ${e.target.id ?? ''}`.trim() : null,
        from: e.ip,
        entry: e.id,
      })),
    );
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
