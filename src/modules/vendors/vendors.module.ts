import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AttentionService } from './attention.service';
import { DpaDocumentParser } from './dpa-document.parser';
import { DpaGate } from './dpa-gate';
import { DpaRepository } from './dpa.repository';
import { DpaService } from './dpa.service';
import { DpaDocumentEntity } from './entities/dpa-document.entity';
import { DpaEntity } from './entities/dpa.entity';
import { ProcessingActivityRecipientEntity } from './entities/processing-activity-recipient.entity';
import { ProcessingActivityEntity } from './entities/processing-activity.entity';
import { VendorSubProcessorEntity } from './entities/vendor-sub-processor.entity';
import { VendorEntity } from './entities/vendor.entity';
import { DpasController } from './dpas.controller';
import { ProcessingActivitiesController } from './processing-activities.controller';
import { ProcessingActivityRepository } from './processing-activity.repository';
import { ProcessingActivityService } from './processing-activity.service';
import { RegistryExportService } from './registry-export.service';
import { RegistryController } from './registry.controller';
import { VendorSubProcessorRepository } from './vendor-sub-processor.repository';
import { VendorRepository } from './vendor.repository';
import { VendorDirectory } from './vendor-directory';
import { RecipientDirectory } from './recipient-directory';
import { VendorService } from './vendor.service';
import { VendorsController } from './vendors.controller';

/**
 * The vendor and DPA registry, the Art. 30 record, its exports, and the DPA gate propagation consults.
 * How vendors are used (connections, deliveries) comes through the VendorUsage port, which a module above
 * the registry binds globally; the registry never imports it.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      VendorEntity,
      VendorSubProcessorEntity,
      DpaEntity,
      DpaDocumentEntity,
      ProcessingActivityEntity,
      ProcessingActivityRecipientEntity,
    ]),
  ],
  controllers: [VendorsController, DpasController, ProcessingActivitiesController, RegistryController],
  providers: [
    VendorDirectory,
    RecipientDirectory,
    VendorRepository,
    VendorSubProcessorRepository,
    DpaRepository,
    ProcessingActivityRepository,
    DpaGate,
    DpaService,
    VendorService,
    ProcessingActivityService,
    RegistryExportService,
    AttentionService,
    DpaDocumentParser,
  ],
  exports: [VendorDirectory, RecipientDirectory, DpaGate, DpaService, AttentionService],
})
export class VendorsModule {}
