import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors/connectors.module';
import { LedgerModule } from '../ledger/ledger.module';
import { VendorsModule } from '../vendors/vendors.module';
import { DeliveriesController } from './deliveries.controller';
import { DeliveryService } from './delivery.service';
import { PropagationPlanner } from './propagation.planner';
import { PropagationWorker } from './propagation.worker';

@Module({
  imports: [LedgerModule, ConnectorsModule, VendorsModule],
  controllers: [DeliveriesController],
  providers: [PropagationPlanner, PropagationWorker, DeliveryService],
  exports: [PropagationPlanner, PropagationWorker, DeliveryService],
})
export class PropagationModule {}
