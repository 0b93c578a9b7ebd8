import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GOVERNING_DPA, type GoverningTerms } from './dpa.repository';
import { DPA_MISSING } from './registry.types';

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
 * What the registry reads of other modules' tables (connectors' connection, propagation's delivery) to
 * describe how a vendor is used. Every method is `cross-module:`; the next step replaces each with the
 * owner's API here, in one place. All raw SQL: aggregates with FILTER, array operators, a lateral join.
 */
@Injectable()
export class VendorUsageRepository {
  constructor(private readonly dataSource: DataSource) {}

  // cross-module: connectors' connection. Live (not disconnected) connections per vendor.
  async connectionCounts(vendorIds: readonly string[]): Promise<Map<string, number>> {
    const rows: { vendor_id: string; n: number }[] = await this.dataSource.query(
      `SELECT vendor_id, count(*)::int AS n FROM connection WHERE vendor_id = ANY($1) AND status <> 'disconnected'
        GROUP BY vendor_id`,
      [vendorIds],
    );
    return new Map(rows.map((r) => [r.vendor_id, r.n]));
  }

  // cross-module: connectors' connection, propagation's delivery. Each connection of the vendor with its delivery figures.
  connectionStats(vendorId: string): Promise<ConnectionStatsRow[]> {
    return this.dataSource.query(
      `SELECT c.id, c.name, c.type, c.status, c.created_at,
              count(d.id) FILTER (WHERE d.status = 'succeeded')::int AS succeeded,
              count(d.id) FILTER (WHERE d.status = 'dead')::int AS dead,
              count(d.id) FILTER (WHERE d.status IN ('pending','retrying','in_progress'))::int AS pending,
              count(d.id) FILTER (WHERE d.status = 'skipped')::int AS skipped,
              count(d.id) FILTER (WHERE d.status = 'skipped' AND d.reason = $2)::int AS held_dpa_missing,
              count(d.id) FILTER (WHERE $2 = ANY(d.flags))::int AS flagged_dpa_missing,
              count(d.id) FILTER (WHERE d.created_at >= now() - interval '30 days')::int AS total_30d,
              count(d.id) FILTER (WHERE d.status = 'succeeded' AND d.created_at >= now() - interval '30 days')::int AS succeeded_30d,
              count(d.id) FILTER (WHERE d.status = 'dead' AND d.created_at >= now() - interval '30 days')::int AS dead_30d,
              count(d.id) FILTER (WHERE d.status IN ('pending','retrying','in_progress')
                                   AND d.created_at >= now() - interval '30 days')::int AS pending_30d,
              count(d.id) FILTER (WHERE d.status = 'skipped' AND d.created_at >= now() - interval '30 days')::int AS skipped_30d,
              max(d.completed_at) FILTER (WHERE d.status = 'succeeded') AS last_succeeded_at
         FROM connection c LEFT JOIN delivery d ON d.connection_id = c.id
        WHERE c.vendor_id = $1 GROUP BY c.id ORDER BY c.created_at`,
      [vendorId, DPA_MISSING],
    );
  }

  // cross-module: connectors' connection, propagation's delivery. Held and flagged deliveries per vendor.
  heldAndFlaggedByVendor(): Promise<{ vendor_id: string; held: number; flagged: number }[]> {
    return this.dataSource.query(
      `SELECT c.vendor_id,
              count(*) FILTER (WHERE d.status = 'skipped' AND d.reason = $1)::int AS held,
              count(*) FILTER (WHERE $1 = ANY(d.flags))::int AS flagged
         FROM delivery d JOIN connection c ON c.id = d.connection_id
        WHERE (d.status = 'skipped' AND d.reason = $1) OR $1 = ANY(d.flags)
        GROUP BY c.vendor_id`,
      [DPA_MISSING],
    );
  }

  // cross-module: connectors' connection, propagation's delivery. A vendor's deliveries in [from, to), oldest first.
  deliveriesOfVendor(vendorId: string, from: Date, to: Date, limit: number): Promise<EvidenceDeliveryRow[]> {
    return this.dataSource.query(
      `SELECT d.id, d.connection_id, c.name AS connection_name, d.subject_id, d.operation, d.status, d.reason, d.flags,
              d.attempts, d.last_error_class, d.vendor_reference, d.created_at, d.completed_at
         FROM delivery d JOIN connection c ON c.id = d.connection_id
        WHERE c.vendor_id = $1 AND d.created_at >= $2 AND d.created_at < $3
        ORDER BY d.created_at, d.id LIMIT $4`,
      [vendorId, from, to, limit],
    );
  }

  /**
   * cross-module: connectors' connection (which vendor a connection is for), joined laterally to the
   * governing DPA of that vendor, in one query. null when there is no such connection; `status` null
   * when its vendor has no DPA.
   */
  async governingTermsOfConnection(connectionId: string): Promise<GoverningTerms | null> {
    const rows: (GoverningTerms & { found: boolean })[] = await this.dataSource.query(
      `SELECT g.status, g.effective_from::text AS effective_from, g.expires_at::text AS expires_at, true AS found
           FROM connection c
           LEFT JOIN LATERAL (SELECT status, effective_from, expires_at FROM dpa WHERE vendor_id = c.vendor_id
                              ${GOVERNING_DPA}) g ON true
          WHERE c.id = $1`,
      [connectionId],
    );
    return rows[0] ?? null;
  }
}
