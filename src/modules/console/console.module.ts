import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors';
import { LedgerModule } from '../ledger';
import { PropagationModule } from '../propagation';
import { ConsoleStatic } from './console-static';
import { OverviewController } from './overview.controller';
import { OverviewService } from './overview.service';

/** The console for CRM admins and DPOs: its static pages under /console and the overview numbers. */
@Module({
  imports: [LedgerModule, ConnectorsModule, PropagationModule],
  controllers: [OverviewController],
  providers: [OverviewService, ConsoleStatic],
})
export class ConsoleModule {}
