import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock, SystemClock } from '../../platform/clock/clock';
import { ConnectorsModule } from '../connectors';
import { LedgerModule } from '../ledger';
import { VendorsModule } from '../vendors';
import { ConnectionDrain } from './connection-drain';
import { DeliveriesController } from './deliveries.controller';
import { DeliveryStatsRepository } from './delivery-stats.repository';
import { DeliveryStats } from './delivery-stats.service';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryService } from './delivery.service';
import { DeliveryEntity } from './entities/delivery.entity';
import { HeldDeliveryRepository } from './held-delivery.repository';
import { HeldDeliveries } from './held-deliveries.service';
import { OutcomeRecorder } from './outcome-recorder';
import { PropagationKicker } from './propagation.kicker';
import { PropagationPlanner } from './propagation.planner';
import { PropagationWorker } from './propagation.worker';
import { PushBuilder } from './push-builder';
import { CallFailures } from './call-failures';
import { ProcessorConfirmationsController } from './processor-confirmations.controller';
import { ProcessorConfirmations } from './processor-confirmations.service';
import { RequestDeliveries } from './request-deliveries.service';
import { RequestDeliveryRepository } from './request-delivery.repository';
import { RequestDrain } from './request-drain';
import { RequestPayloads } from './request-payload';
import { RequestPushBuilder } from './request-push-builder';
import { SettleHooks } from './settle-hooks';

/**
 * Propagation: plans a delivery per connection for every change and every data-subject request, drains them
 * through the connectors, holds what the DPA gate does not cover, receives processors' signed confirmations,
 * and answers for what was delivered. Modules below it never
 * import it: they announce (hooks) or name what they need (ports, bound in VendorUsageModule).
 */
import { PropagationSealedColumns } from './propagation-sealed-columns';

@Module({
  imports: [TypeOrmModule.forFeature([DeliveryEntity]), LedgerModule, ConnectorsModule, VendorsModule],
  controllers: [DeliveriesController, ProcessorConfirmationsController],
  providers: [
    // keys:rotate and keys:status reach this module's encrypted columns through it.
    PropagationSealedColumns,
    // The real clock; a test module may override it with one it controls.
    { provide: Clock, useClass: SystemClock },
    DeliveryRepository,
    DeliveryStatsRepository,
    HeldDeliveryRepository,
    PropagationKicker,
    PropagationPlanner,
    PushBuilder,
    OutcomeRecorder,
    ConnectionDrain,
    PropagationWorker,
    DeliveryService,
    DeliveryStats,
    HeldDeliveries,
    // Data-subject requests (Art. 15-19): planning, sending, confirmations and settling.
    RequestDeliveryRepository,
    RequestPayloads,
    SettleHooks,
    CallFailures,
    RequestPushBuilder,
    RequestDrain,
    ProcessorConfirmations,
    RequestDeliveries,
  ],
  exports: [PropagationPlanner, PropagationKicker, DeliveryStats, RequestDeliveries],
})
export class PropagationModule {}
