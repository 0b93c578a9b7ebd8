import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
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
  get() {
    return this.overview.overview();
  }
}
