import { Injectable } from '@nestjs/common';
import {
  type ConnectionDeliveryCounts,
  type ConnectionDeliveryFigures,
  type DeliveriesPerDay,
  DeliveryStatsRepository,
  type EvidenceDelivery,
  type RecentDeliveryOutcomes,
} from './delivery-stats.repository';

export type {
  ConnectionDeliveryCounts,
  ConnectionDeliveryFigures,
  DeliveriesPerDay,
  EvidenceDelivery,
  RecentDeliveryOutcomes,
};

/**
 * The delivery figures other modules show (vendor pages through the VendorUsage port, the attention
 * report, the evidence pack, the console overview), per connection id: they read `delivery` only here.
 */
@Injectable()
export class DeliveryStats {
  constructor(private readonly stats: DeliveryStatsRepository) {}

  /** Per connection: deliveries held for a missing DPA, and ones that went out flagged. */
  dpaMissingByConnection(): Promise<{ connection_id: string; held: number; flagged: number }[]> {
    return this.stats.dpaMissingByConnection();
  }

  /** Each of these connections' delivery figures, all time and last 30 days (absent: none yet). */
  async figuresOf(connectionIds: readonly string[]): Promise<Map<string, ConnectionDeliveryFigures>> {
    const rows = await this.stats.figuresOf(connectionIds);
    return new Map(rows.map(({ connection_id, ...figures }) => [connection_id, figures]));
  }

  /** Counts by status of these connections' deliveries created since `since` (console overview). */
  countsByConnection(
    connectionIds: readonly string[],
    since: Date,
  ): Promise<Map<string, ConnectionDeliveryCounts>> {
    return this.stats.countsByConnection(connectionIds, since);
  }

  /** Deliveries created per UTC day and connection, the last `days` days, by how they ended (console chart). */
  perConnectionPerDay(days: number): Promise<DeliveriesPerDay[]> {
    return this.stats.perConnectionPerDay(days);
  }

  /** Deliveries to these connections created in [from, to), oldest first, at most `limit` (evidence pack). */
  createdBetween(
    connectionIds: readonly string[],
    from: Date,
    to: Date,
    limit: number,
  ): Promise<EvidenceDelivery[]> {
    return this.stats.createdBetween(connectionIds, from, to, limit);
  }

  /** Open deliveries per connection and status (the queued-deliveries gauge). */
  queuedByConnection(): Promise<{ connection_id: string; status: string; n: number }[]> {
    return this.stats.queuedByConnection();
  }

  /** Per connection id, what became of the deliveries created in the last `days` days (console overview health). */
  recentOutcomes(days: number): Promise<Map<string, RecentDeliveryOutcomes>> {
    return this.stats.recentOutcomes(days);
  }
}
