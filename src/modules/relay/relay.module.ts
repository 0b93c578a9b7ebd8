import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock, SystemClock } from '../../platform/clock/clock';
import { OutboundGuard } from '../../platform/http/outbound-guard';
import { InboxModule } from '../inbox';
import { RelayDeliveryEntity } from './entities/relay-delivery.entity';
import { RelayMessageEntity } from './entities/relay-message.entity';
import { RelayController } from './relay.controller';
import { RelayDispatcher } from './relay-dispatcher';
import { RelayRecorder } from './relay-recorder';
import { RelayRepository } from './relay.repository';
import { RelaySealedColumns } from './relay-sealed-columns';
import { RelaySender } from './relay-sender';
import { RelayService } from './relay.service';
import { RelayWorker } from './relay.worker';

@Module({
  imports: [InboxModule, TypeOrmModule.forFeature([RelayMessageEntity, RelayDeliveryEntity])],
  controllers: [RelayController],
  providers: [
    { provide: Clock, useClass: SystemClock },
    // Its own instance of the SSRF guard (the same rules and OUTBOUND_ALLOWLIST as every outbound call).
    OutboundGuard,
    // keys:rotate and keys:status reach the relay's encrypted column through it.
    RelaySealedColumns,
    RelayRepository,
    RelayRecorder,
    RelaySender,
    RelayDispatcher,
    RelayWorker,
    RelayService,
  ],
  exports: [RelayService],
})
export class RelayModule {}
