import { Module } from '@nestjs/common';
import { ConsoleStatic } from './console-static';
import { OverviewController } from './overview.controller';
import { OverviewRepository } from './overview.repository';
import { OverviewService } from './overview.service';

/** The console for CRM admins and DPOs: its static pages under /console and the overview numbers. */
@Module({
  controllers: [OverviewController],
  providers: [OverviewRepository, OverviewService, ConsoleStatic],
})
export class ConsoleModule {}
