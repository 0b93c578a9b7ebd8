// The propagation module's public API: what other modules may use. Everything else is internal.
export { DeliveryStats } from './delivery-stats.service';
export type { RecentDeliveryOutcomes } from './delivery-stats.service';
export type { DeliveriesPerDay } from './delivery-stats.service';
export { PropagationModule } from './propagation.module';
export { VendorUsageModule } from './vendor-usage.provider';
export type { RequestOperation } from './propagation.constants';
export { RequestDeliveries } from './request-deliveries.service';
export type {
  PlannedRequestDelivery,
  PlanRequestInput,
  RequestDeliveryView,
} from './request-deliveries.service';
export type { SettledRequestDelivery } from './settle-hooks';
