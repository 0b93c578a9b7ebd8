import { Module } from '@nestjs/common';
import { AttentionService } from './attention.service';
import { DpaDocumentParser } from './dpa-document.parser';
import { DpaGate } from './dpa-gate';
import { DpaService } from './dpa.service';
import { DpasController } from './dpas.controller';
import { ProcessingActivitiesController } from './processing-activities.controller';
import { ProcessingActivityService } from './processing-activity.service';
import { RegistryExportService } from './registry-export.service';
import { RegistryController } from './registry.controller';
import { RegistryWorker } from './registry.worker';
import { VendorService } from './vendor.service';
import { VendorsController } from './vendors.controller';

/** The vendor and DPA registry, the Art. 30 record, its exports, and the DPA gate propagation consults. */
@Module({
  controllers: [VendorsController, DpasController, ProcessingActivitiesController, RegistryController],
  providers: [
    DpaGate,
    DpaService,
    VendorService,
    ProcessingActivityService,
    RegistryExportService,
    AttentionService,
    DpaDocumentParser,
    RegistryWorker,
  ],
  exports: [DpaGate, VendorService, DpaService, AttentionService],
})
export class VendorsModule {}
