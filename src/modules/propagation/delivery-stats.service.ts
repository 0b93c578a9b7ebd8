import { Injectable } from '@nestjs/common';
import {
  type ConnectionDeliveryCounts,
  DeliveryStatsRepository,
  type EvidenceDeliveryRow,
  type VendorConnectionStatsRow,
} from './delivery-stats.repository';

export type { ConnectionDeliveryCounts, EvidenceDeliveryRow, VendorConnectionStatsRow };

/**
 * The delivery figures other modules show (vendor pages, the attention report, the evidence pack, the
 * console overview): they read `delivery` only through here.
 */
@Injectable()
export class DeliveryStats {
  constructor(private readonly stats: DeliveryStatsRepository) {}

  /** Per vendor: deliveries held for a missing DPA, and ones that went out flagged (attention report). */
  dpaMissingByVendor(): Promise<{ vendor_id: string; held: number; flagged: number }[]> {
    return this.stats.dpaMissingByVendor();
  }

  /** Each connection of the vendor with its delivery figures, all time and last 30 days (vendor page). */
  connectionStatsOfVendor(vendorId: string): Promise<VendorConnectionStatsRow[]> {
    return this.stats.connectionStatsOfVendor(vendorId);
  }

  /** Delivery counts by status per connection id (console overview). */
  countsByConnection(): Promise<Map<string, ConnectionDeliveryCounts>> {
    return this.stats.countsByConnection();
  }

  /** The vendor's deliveries created in [from, to), oldest first, at most `limit` (evidence pack). */
  evidenceOfVendor(vendorId: string, from: Date, to: Date, limit: number): Promise<EvidenceDeliveryRow[]> {
    return this.stats.evidenceOfVendor(vendorId, from, to, limit);
  }

  /** Open deliveries per connection name and status (the queued-deliveries gauge). */
  queuedByConnectionName(): Promise<{ name: string; status: string; n: string }[]> {
    return this.stats.queuedByConnectionName();
  }
}
