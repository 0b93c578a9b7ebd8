import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface ConnectionHealthRow {
  id: string;
  name: string;
  type: string;
  status: string;
  vendor_id: string;
  vendor_name: string;
  succeeded: string;
  pending: string;
  in_progress: string;
  retrying: string;
  dead: string;
  skipped: string;
  last_success_at: Date | null;
}

/**
 * The overview's counts. The console owns no table: every statement here reads another module's tables
 * and is marked `cross-module:`, so the next step can replace each with the owner's API in one place.
 * All are raw SQL: aggregates (FILTER, DISTINCT counts, a generate_series calendar) over whole tables.
 */
@Injectable()
export class OverviewRepository {
  constructor(private readonly dataSource: DataSource) {}

  // cross-module: ledger's consent_state.
  consentTotalsByStatus(): Promise<{ status: string; states: string; subjects: string }[]> {
    return this.dataSource.query(
      `SELECT status, count(*) AS states, count(DISTINCT subject_id) AS subjects
         FROM consent_state GROUP BY status`,
    );
  }

  // cross-module: ledger's consent_event.
  async withdrawalsChangedToday(): Promise<number> {
    const rows: { n: string }[] = await this.dataSource.query(
      `SELECT count(*) AS n FROM consent_event
        WHERE status = 'withdrawn' AND effect = 'changed'
          AND recorded_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  // cross-module: connectors' connection, the registry's vendor, propagation's delivery.
  connectionHealth(): Promise<ConnectionHealthRow[]> {
    return this.dataSource.query(
      `SELECT c.id, c.name, c.type, c.status, c.vendor_id, v.name AS vendor_name,
              coalesce(d.succeeded, 0) AS succeeded, coalesce(d.pending, 0) AS pending,
              coalesce(d.in_progress, 0) AS in_progress, coalesce(d.retrying, 0) AS retrying,
              coalesce(d.dead, 0) AS dead, coalesce(d.skipped, 0) AS skipped, d.last_success_at
         FROM connection c
         JOIN vendor v ON v.id = c.vendor_id
         LEFT JOIN (
           SELECT connection_id,
                  count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
                  count(*) FILTER (WHERE status = 'pending') AS pending,
                  count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
                  count(*) FILTER (WHERE status = 'retrying') AS retrying,
                  count(*) FILTER (WHERE status = 'dead') AS dead,
                  count(*) FILTER (WHERE status = 'skipped') AS skipped,
                  max(completed_at) FILTER (WHERE status = 'succeeded') AS last_success_at
             FROM delivery GROUP BY connection_id
         ) d ON d.connection_id = c.id
        WHERE c.status <> 'disconnected'
        ORDER BY c.name, c.id`,
    );
  }

  // cross-module: ledger's consent_event.
  eventsPerDay(days: number): Promise<{ day: string; granted: string; withdrawn: string }[]> {
    return this.dataSource.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day,
              count(e.id) FILTER (WHERE e.status = 'granted') AS granted,
              count(e.id) FILTER (WHERE e.status = 'withdrawn') AS withdrawn
         FROM generate_series(
                (now() AT TIME ZONE 'UTC')::date - ($1::int - 1), (now() AT TIME ZONE 'UTC')::date, interval '1 day'
              ) AS day
         LEFT JOIN consent_event e
           ON e.recorded_at >= (day AT TIME ZONE 'UTC') AND e.recorded_at < ((day + interval '1 day') AT TIME ZONE 'UTC')
        GROUP BY day ORDER BY day`,
      [days],
    );
  }
}
