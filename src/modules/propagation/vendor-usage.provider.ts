import { Global, Injectable, Module } from '@nestjs/common';
import { ConnectionDirectory } from '../connectors';
import { ConnectorsModule } from '../connectors';
import { type ConnectionStatsRow, type EvidenceDeliveryRow, VendorUsage } from '../vendors';
import { type ConnectionDeliveryFigures, DeliveryStats } from './delivery-stats.service';
import { PropagationModule } from './propagation.module';

const NO_DELIVERIES: ConnectionDeliveryFigures = {
  succeeded: 0,
  dead: 0,
  pending: 0,
  skipped: 0,
  held_dpa_missing: 0,
  flagged_dpa_missing: 0,
  succeeded_30d: 0,
  dead_30d: 0,
  pending_30d: 0,
  skipped_30d: 0,
  total_30d: 0,
  last_succeeded_at: null,
};

/**
 * How a vendor is used, as the registry asks for it (its VendorUsage port): the vendor's connections
 * from the connectors module, joined here by connection id to propagation's delivery figures.
 */
@Injectable()
export class DeliveriesVendorUsage extends VendorUsage {
  constructor(
    private readonly directory: ConnectionDirectory,
    private readonly stats: DeliveryStats,
  ) {
    super();
  }

  connectionCounts(vendorIds: readonly string[]): Promise<Map<string, number>> {
    return this.directory.liveCountsByVendor(vendorIds);
  }

  async connectionStats(vendorId: string): Promise<ConnectionStatsRow[]> {
    const connections = await this.directory.ofVendor(vendorId);
    const figures = await this.stats.figuresOf(connections.map((c) => c.id));
    return connections.map((c) => ({
      id: c.id,
      name: c.name,
      type: c.type,
      status: c.status,
      created_at: c.createdAt,
      ...(figures.get(c.id) ?? NO_DELIVERIES),
    }));
  }

  async heldAndFlaggedByVendor(): Promise<{ vendor_id: string; held: number; flagged: number }[]> {
    const rows = await this.stats.dpaMissingByConnection();
    const connections = await this.directory.byIds(rows.map((r) => r.connection_id));
    const byVendor = new Map<string, { vendor_id: string; held: number; flagged: number }>();
    for (const r of rows) {
      const vendorId = connections.get(r.connection_id)?.vendorId;
      if (!vendorId) continue;
      const sum = byVendor.get(vendorId) ?? { vendor_id: vendorId, held: 0, flagged: 0 };
      sum.held += r.held;
      sum.flagged += r.flagged;
      byVendor.set(vendorId, sum);
    }
    return [...byVendor.values()];
  }

  async deliveriesOfVendor(
    vendorId: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<EvidenceDeliveryRow[]> {
    const connections = await this.directory.ofVendor(vendorId);
    const nameOf = new Map(connections.map((c) => [c.id, c.name]));
    const rows = await this.stats.createdBetween([...nameOf.keys()], from, to, limit);
    return rows.map(({ id, connection_id, ...rest }) => ({
      id,
      connection_id,
      connection_name: nameOf.get(connection_id)!,
      ...rest,
    }));
  }
}

/**
 * Binds the registry's VendorUsage port to propagation's implementation for the whole application, so the
 * vendors module gets it by injection without importing propagation (which sits above it). Imported once,
 * by the application module.
 */
@Global()
@Module({
  imports: [ConnectorsModule, PropagationModule],
  providers: [{ provide: VendorUsage, useClass: DeliveriesVendorUsage }],
  exports: [VendorUsage],
})
export class VendorUsageModule {}
