import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeliveryStatsRepository } from './delivery-stats.repository';
import { DeliveryStats } from './delivery-stats.service';
import { DeliveryEntity } from './entities/delivery.entity';

/**
 * Delivery figures alone, for modules that show them but that propagation itself imports (vendors):
 * importing this instead of PropagationModule keeps the module graph acyclic.
 */
@Module({
  imports: [TypeOrmModule.forFeature([DeliveryEntity])],
  providers: [DeliveryStatsRepository, DeliveryStats],
  exports: [DeliveryStats],
})
export class DeliveryStatsModule {}
