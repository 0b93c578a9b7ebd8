import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors';
import { LedgerModule } from '../ledger';
import { PropagationModule } from '../propagation';
import { ChartsController } from './charts.controller';
import { ChartsService } from './charts.service';
import { ConsoleStatic } from './console-static';
import { OverviewController } from './overview.controller';
import { OverviewService } from './overview.service';

/** The console for CRM admins and DPOs: its static pages under /console, the overview numbers and the charts. */
@Module({
  imports: [LedgerModule, ConnectorsModule, PropagationModule],
  controllers: [OverviewController, ChartsController],
  providers: [OverviewService, ChartsService, ConsoleStatic],
})
export class ConsoleModule {}
