// The vendors module's public API: what other modules may use. Everything else is internal.
export { DpaGate } from './dpa-gate';
export { DpaService } from './dpa.service';
export { VendorUsage } from './vendor-usage.port';
export type { ConnectionStatsRow, EvidenceDeliveryRow } from './vendor-usage.port';
export { VendorDirectory } from './vendor-directory';
export { RecipientDirectory } from './recipient-directory';
export type { RecipientFacts } from './recipient-directory';
export { VendorsModule } from './vendors.module';
export { DPA_MISSING } from './registry.types';
