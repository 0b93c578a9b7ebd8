import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { EvidenceDeliveryRow } from '../vendors';
import { DPA_MISSING } from './dpa-hold';
import { DeliveryEntity } from './entities/delivery.entity';

/** A connection's delivery figures, all time and the last 30 days (the vendor page). */
export interface ConnectionDeliveryFigures {
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

/** A connection's delivery counts by status (the console's overview). */
export interface ConnectionDeliveryCounts {
  succeeded: number;
  pending: number;
  in_progress: number;
  retrying: number;
  dead: number;
  skipped: number;
  last_success_at: Date | null;
}

/** A connection's deliveries created on one UTC day, by how they ended (the console's chart). */
export interface DeliveriesPerDay {
  connection_id: string;
  day: string;
  succeeded: number;
  retried: number;
  dead: number;
  skipped: number;
}

/** One delivery as an evidence pack lists it (the connection's name is added by the caller). */
export type EvidenceDelivery = Omit<EvidenceDeliveryRow, 'connection_name'>;

/**
 * Aggregate reads of `delivery` for dashboards, the registry and metrics, per connection id: which
 * connections belong to a vendor, and their names, come from the connectors module.
 */
// raw SQL throughout: count(*) FILTER aggregates and = ANY(flags) on text[], which the query builder
// would only wrap.
@Injectable()
export class DeliveryStatsRepository {
  constructor(@InjectRepository(DeliveryEntity) private readonly repo: Repository<DeliveryEntity>) {}

  /** Open deliveries per connection and status (the queued-deliveries gauge). */
  async queuedByConnection(): Promise<{ connection_id: string; status: string; n: number }[]> {
    return this.repo.query(
      `SELECT connection_id, status, count(*)::int AS n FROM delivery
        WHERE status IN ('pending','retrying','in_progress') GROUP BY connection_id, status`,
    );
  }

  /** Per connection: deliveries held for a missing DPA, and ones that went out flagged. */
  async dpaMissingByConnection(): Promise<{ connection_id: string; held: number; flagged: number }[]> {
    return this.repo.query(
      `SELECT connection_id,
              count(*) FILTER (WHERE status = 'skipped' AND reason = $1)::int AS held,
              count(*) FILTER (WHERE $1 = ANY(flags))::int AS flagged
         FROM delivery
        WHERE (status = 'skipped' AND reason = $1) OR $1 = ANY(flags)
        GROUP BY connection_id`,
      [DPA_MISSING],
    );
  }

  /** The figures of these connections (ones without deliveries are absent). */
  async figuresOf(
    connectionIds: readonly string[],
  ): Promise<({ connection_id: string } & ConnectionDeliveryFigures)[]> {
    if (connectionIds.length === 0) return [];
    return this.repo.query(
      `SELECT connection_id,
              count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE status = 'dead')::int AS dead,
              count(*) FILTER (WHERE status IN ('pending','retrying','in_progress'))::int AS pending,
              count(*) FILTER (WHERE status = 'skipped')::int AS skipped,
              count(*) FILTER (WHERE status = 'skipped' AND reason = $2)::int AS held_dpa_missing,
              count(*) FILTER (WHERE $2 = ANY(flags))::int AS flagged_dpa_missing,
              count(*) FILTER (WHERE created_at >= now() - interval '30 days')::int AS total_30d,
              count(*) FILTER (WHERE status = 'succeeded' AND created_at >= now() - interval '30 days')::int AS succeeded_30d,
              count(*) FILTER (WHERE status = 'dead' AND created_at >= now() - interval '30 days')::int AS dead_30d,
              count(*) FILTER (WHERE status IN ('pending','retrying','in_progress')
                                AND created_at >= now() - interval '30 days')::int AS pending_30d,
              count(*) FILTER (WHERE status = 'skipped' AND created_at >= now() - interval '30 days')::int AS skipped_30d,
              max(completed_at) FILTER (WHERE status = 'succeeded') AS last_succeeded_at
         FROM delivery WHERE connection_id = ANY($1) GROUP BY connection_id`,
      [connectionIds, DPA_MISSING],
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

  /**
   * Deliveries created per UTC day and connection over the last `days` days, by how they ended: succeeded at the
   * first attempt, retried (succeeded after more than one, or retrying now), dead, skipped. Days without deliveries
   * are absent. Reads the days' range of ix_delivery_created.
   */
  async perConnectionPerDay(days: number): Promise<DeliveriesPerDay[]> {
    // Grouped by the date (cheap), formatted once per group; every column read is in ix_delivery_created.
    const rows: Record<string, string>[] = await this.repo.query(
      `SELECT connection_id, to_char(day, 'YYYY-MM-DD') AS day, succeeded, retried, dead, skipped
         FROM (SELECT connection_id, (created_at AT TIME ZONE 'UTC')::date AS day,
                      count(*) FILTER (WHERE status = 'succeeded' AND attempts <= 1) AS succeeded,
                      count(*) FILTER (WHERE (status = 'succeeded' AND attempts > 1) OR status = 'retrying') AS retried,
                      count(*) FILTER (WHERE status = 'dead') AS dead,
                      count(*) FILTER (WHERE status = 'skipped') AS skipped
                 FROM delivery
                WHERE created_at >= (((now() AT TIME ZONE 'UTC')::date - ($1::int - 1)) AT TIME ZONE 'UTC')
                GROUP BY 1, 2) per_day
        ORDER BY 2, 1`,
      [days],
    );
    return rows.map((r) => ({
      connection_id: r.connection_id,
      day: r.day,
      succeeded: Number(r.succeeded),
      retried: Number(r.retried),
      dead: Number(r.dead),
      skipped: Number(r.skipped),
    }));
  }

  /** Deliveries to these connections created in [from, to), oldest first, at most `limit`. */
  async createdBetween(
    connectionIds: readonly string[],
    from: Date,
    to: Date,
    limit: number,
  ): Promise<EvidenceDelivery[]> {
    if (connectionIds.length === 0) return [];
    return this.repo.query(
      `SELECT id, connection_id, subject_id, operation, status, reason, flags, attempts, last_error_class,
              vendor_reference, created_at, completed_at
         FROM delivery
        WHERE connection_id = ANY($1) AND created_at >= $2 AND created_at < $3
        ORDER BY created_at, id LIMIT $4`,
      [connectionIds, from, to, limit],
    );
  }
}
