import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ProblemDto } from '../../platform/http/problem.dto';
import { RequireScopes } from '../../platform/http/auth.decorators';
import { ChartsService } from './charts.service';
import { ConsentChangesChartResponse, DeliveriesChartResponse } from './charts.responses';

class ChartQueryDto {
  @ApiPropertyOptional({ default: 14, minimum: 1, maximum: 90, description: 'UTC days up to today.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(90)
  days?: number;
}

/** The console's charts: counts per day, for people who look rather than read. */
@ApiTags('console')
@ApiBearerAuth()
@Controller('v1/charts')
export class ChartsController {
  constructor(private readonly charts: ChartsService) {}

  /** Deliveries per connection and day: succeeded, retried, dead, skipped. */
  @Get('deliveries')
  @RequireScopes('deliveries:read')
  @ApiOkResponse({ type: DeliveriesChartResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  deliveries(@Query() query: ChartQueryDto) {
    return this.charts.deliveriesPerDay(query.days ?? 14);
  }

  /** Consent changes per day by source: granted and withdrawn events recorded. */
  @Get('consent-changes')
  @RequireScopes('overview:read')
  @ApiOkResponse({ type: ConsentChangesChartResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  consentChanges(@Query() query: ChartQueryDto) {
    return this.charts.consentChangesPerDay(query.days ?? 14);
  }
}
