import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { DPA_MISSING } from './dpa-hold';
import { DeliveryEntity } from './entities/delivery.entity';

/** Per-connection delivery figures of one vendor's connections (the vendor page). */
export interface VendorConnectionStatsRow {
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
  total_30d: number;
  succeeded_30d: number;
  dead_30d: number;
  pending_30d: number;
  skipped_30d: number;
  last_succeeded_at: Date | null;
}

export interface ConnectionDeliveryCounts {
  succeeded: number;
  pending: number;
  in_progress: number;
  retrying: number;
  dead: number;
  skipped: number;
  last_success_at: Date | null;
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

/** Aggregate reads of `delivery` for dashboards, the registry and metrics. */
// raw SQL throughout: count(*) FILTER aggregates and = ANY(flags) on text[], which the query builder
// would only wrap. cross-module: the vendor-scoped reads join the connectors module's `connection`.
@Injectable()
export class DeliveryStatsRepository {
  constructor(@InjectRepository(DeliveryEntity) private readonly repo: Repository<DeliveryEntity>) {}

  /** Open deliveries per connection name and status (the queued-deliveries gauge). */
  async queuedByConnectionName(): Promise<{ name: string; status: string; n: string }[]> {
    return this.repo.query(
      `SELECT c.name, d.status, count(*) AS n FROM delivery d JOIN connection c ON c.id = d.connection_id
        WHERE d.status IN ('pending','retrying','in_progress') GROUP BY c.name, d.status`,
    );
  }

  /** Per vendor: deliveries held for a missing DPA, and ones that went out flagged. */
  async dpaMissingByVendor(): Promise<{ vendor_id: string; held: number; flagged: number }[]> {
    return this.repo.query(
      `SELECT c.vendor_id,
              count(*) FILTER (WHERE d.status = 'skipped' AND d.reason = $1)::int AS held,
              count(*) FILTER (WHERE $1 = ANY(d.flags))::int AS flagged
         FROM delivery d JOIN connection c ON c.id = d.connection_id
        WHERE (d.status = 'skipped' AND d.reason = $1) OR $1 = ANY(d.flags)
        GROUP BY c.vendor_id`,
      [DPA_MISSING],
    );
  }

  async connectionStatsOfVendor(vendorId: string): Promise<VendorConnectionStatsRow[]> {
    return this.repo.query(
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

  /** Counts by status per connection (connections without deliveries are absent). */
  async countsByConnection(): Promise<Map<string, ConnectionDeliveryCounts>> {
    const rows: ({ connection_id: string } & Record<string, string | Date | null>)[] = await this.repo.query(
      `SELECT connection_id,
              count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
              count(*) FILTER (WHERE status = 'pending') AS pending,
              count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
              count(*) FILTER (WHERE status = 'retrying') AS retrying,
              count(*) FILTER (WHERE status = 'dead') AS dead,
              count(*) FILTER (WHERE status = 'skipped') AS skipped,
              max(completed_at) FILTER (WHERE status = 'succeeded') AS last_success_at
         FROM delivery GROUP BY connection_id`,
    );
    return new Map(
      rows.map((r) => [
        r.connection_id,
        {
          succeeded: Number(r.succeeded),
          pending: Number(r.pending),
          in_progress: Number(r.in_progress),
          retrying: Number(r.retrying),
          dead: Number(r.dead),
          skipped: Number(r.skipped),
          last_success_at: (r.last_success_at as Date | null) ?? null,
        },
      ]),
    );
  }

  /** Every delivery to the vendor created in [from, to), oldest first, at most `limit`. */
  async evidenceOfVendor(
    vendorId: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<EvidenceDeliveryRow[]> {
    return this.repo.query(
      `SELECT d.id, d.connection_id, c.name AS connection_name, d.subject_id, d.operation, d.status, d.reason, d.flags,
              d.attempts, d.last_error_class, d.vendor_reference, d.created_at, d.completed_at
         FROM delivery d JOIN connection c ON c.id = d.connection_id
        WHERE c.vendor_id = $1 AND d.created_at >= $2 AND d.created_at < $3
        ORDER BY d.created_at, d.id LIMIT $4`,
      [vendorId, from, to, limit],
    );
  }
}
