/** One connection of a vendor with its delivery figures (all time and the last 30 days). */
export interface ConnectionStatsRow {
  id: string;
  name: string;
  type: string;
  status: string;
  created_at: Date;
  succeeded: number;
  dead: number;
  pending: number;
  skipped: number;
  held_dpa_missing: number;
  flagged_dpa_missing: number;
  succeeded_30d: number;
  dead_30d: number;
  pending_30d: number;
  skipped_30d: number;
  total_30d: number;
  last_succeeded_at: Date | null;
}

/** One delivery to a vendor, as its evidence pack lists it. */
export interface EvidenceDeliveryRow {
  id: string;
  connection_id: string;
  connection_name: string;
  subject_id: string;
  operation: string;
  status: string;
  reason: string | null;
  flags: string[];
  attempts: number;
  last_error_class: string | null;
  vendor_reference: string | null;
  created_at: Date;
  completed_at: Date | null;
}

/**
 * How a vendor is used: its connections and what was delivered to them. The registry shows this, but the
 * facts belong to the connectors and propagation modules, which sit above the registry; so the registry
 * names what it needs here and the propagation module provides it (bound by DI), and the registry never
 * imports them.
 */
export abstract class VendorUsage {
  /** Live (not disconnected) connections per vendor. */
  abstract connectionCounts(vendorIds: readonly string[]): Promise<Map<string, number>>;
  /** Each connection of the vendor, oldest first, with its delivery figures. */
  abstract connectionStats(vendorId: string): Promise<ConnectionStatsRow[]>;
  /** Per vendor: deliveries held for want of a DPA, and deliveries sent without one (flagged). */
  abstract heldAndFlaggedByVendor(): Promise<{ vendor_id: string; held: number; flagged: number }[]>;
  /** A vendor's deliveries created in [from, to), oldest first, at most `limit`. */
  abstract deliveriesOfVendor(
    vendorId: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<EvidenceDeliveryRow[]>;
}
