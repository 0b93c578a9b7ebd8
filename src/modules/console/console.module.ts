import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors/connectors.module';
import { LedgerModule } from '../ledger/ledger.module';
import { PropagationModule } from '../propagation/propagation.module';
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
