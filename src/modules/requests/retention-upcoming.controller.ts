import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { AuditRead } from '../../platform/http/audit.decorators';
import { RequireScopes } from '../../platform/http/auth.decorators';
import { ProblemDto } from '../../platform/http/problem.dto';
import { RetentionRunner } from './retention-runner';

export class RetentionUpcomingQueryDto {
  @ApiPropertyOptional({
    description: 'How far ahead to look, in days (default 90).',
    minimum: 0,
    maximum: 3650,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3650)
  within_days?: number;

  @ApiPropertyOptional({ description: 'At most this many people (default 100).', minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class RetentionUpcomingItem {
  @ApiProperty({ format: 'uuid' }) subject_id!: string;
  @ApiProperty({ nullable: true, type: String, example: '+49 ••• ••• 789' }) subject_masked!: string | null;
  @ApiProperty({ format: 'date-time' }) last_activity_at!: string;
  @ApiProperty({
    format: 'date',
    description: 'The day the daily retention job files their erasure (today when already due).',
  })
  erase_on!: string;
}

export class RetentionUpcomingResponse {
  @ApiProperty({ description: 'config/requests.json retention.inactive_months.' }) inactive_months!: number;
  @ApiProperty({ type: [RetentionUpcomingItem] }) items!: RetentionUpcomingItem[];
}

/** What the retention rule will erase, and when: for the DPO, before it happens. */
@ApiTags('requests')
@ApiBearerAuth()
@Controller('v1/retention')
export class RetentionUpcomingController {
  constructor(private readonly retention: RetentionRunner) {}

  /** People with no consent in force whose inactivity period ends within `within_days`, oldest first. */
  @Get('upcoming')
  @RequireScopes('requests:read')
  @AuditRead('retention.upcoming')
  @ApiOkResponse({ type: RetentionUpcomingResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  async upcoming(@Query() query: RetentionUpcomingQueryDto): Promise<RetentionUpcomingResponse> {
    const people = await this.retention.upcoming(query.within_days ?? 90, query.limit ?? 100);
    return {
      inactive_months: this.retention.inactiveMonths,
      items: people.map((p) => ({
        subject_id: p.subjectId,
        subject_masked: p.subjectMasked,
        last_activity_at: p.lastActivityAt.toISOString(),
        erase_on: p.eraseOn.toISOString().slice(0, 10),
      })),
    };
  }
}
