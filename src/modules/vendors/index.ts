// The vendors module's public API: what other modules may use. Everything else is internal.
export { DpaGate } from './dpa-gate';
export { DpaService } from './dpa.service';
export { VendorUsage } from './vendor-usage.port';
export type { ConnectionStatsRow, EvidenceDeliveryRow } from './vendor-usage.port';
export { VendorService } from './vendor.service';
export { VendorsModule } from './vendors.module';
export { DPA_MISSING } from './registry.types';
