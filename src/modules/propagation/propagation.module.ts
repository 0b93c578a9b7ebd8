import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock, SystemClock } from '../../platform/clock/clock';
import { ConnectorsModule } from '../connectors/connectors.module';
import { LedgerModule } from '../ledger/ledger.module';
import { VendorsModule } from '../vendors/vendors.module';
import { ConnectionDrain } from './connection-drain';
import { ConnectionLeaseRepository } from './connection-lease.repository';
import { DeliveriesController } from './deliveries.controller';
import { DeliveryStatsModule } from './delivery-stats.module';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryService } from './delivery.service';
import { DeliveryEntity } from './entities/delivery.entity';
import { HeldDeliveryRepository } from './held-delivery.repository';
import { HeldDeliveries } from './held-deliveries.service';
import { OutcomeRecorder } from './outcome-recorder';
import { PersonSnapshotRepository } from './person-snapshot.repository';
import { PropagationKickerModule } from './propagation-kicker.module';
import { PropagationPlanner } from './propagation.planner';
import { PropagationWorker } from './propagation.worker';
import { PushBuilder } from './push-builder';

@Module({
  imports: [
    TypeOrmModule.forFeature([DeliveryEntity]),
    PropagationKickerModule,
    DeliveryStatsModule,
    LedgerModule,
    ConnectorsModule,
    VendorsModule,
  ],
  controllers: [DeliveriesController],
  providers: [
    // The real clock; a test module may override it with one it controls.
    { provide: Clock, useClass: SystemClock },
    DeliveryRepository,
    HeldDeliveryRepository,
    ConnectionLeaseRepository,
    PersonSnapshotRepository,
    PropagationPlanner,
    PushBuilder,
    OutcomeRecorder,
    ConnectionDrain,
    PropagationWorker,
    DeliveryService,
    HeldDeliveries,
  ],
  exports: [
    PropagationPlanner,
    PropagationKickerModule,
    DeliveryStatsModule,
    DeliveryService,
    HeldDeliveries,
  ],
})
export class PropagationModule {}
