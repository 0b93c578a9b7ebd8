import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OverviewResponse } from './overview.responses';
import { RequireScopes } from '../../platform/http/auth.decorators';
import { OverviewService } from './overview.service';

@ApiTags('console')
@ApiBearerAuth()
@Controller('v1/overview')
export class OverviewController {
  constructor(private readonly overview: OverviewService) {}

  /** Consent totals, withdrawals today, propagation health per connection and events per day (14 days). */
  @Get()
  @RequireScopes('overview:read')
  @ApiOkResponse({ type: OverviewResponse })
  get() {
    return this.overview.overview();
  }
}
