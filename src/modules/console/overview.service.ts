import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Days of history the overview chart shows. */
export const OVERVIEW_DAYS = 14;

interface ConnectionHealthRow {
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
 * The console's landing numbers: consent in force, today's withdrawals, how propagation is doing per
 * connection, and the last two weeks of events. Counts only: no person's data leaves this service.
 * "Today" and the days of the chart are UTC days.
 */
@Injectable()
export class OverviewService {
  constructor(private readonly dataSource: DataSource) {}

  async overview() {
    const [totals, today, connections, days] = await Promise.all([
      this.consentTotals(),
      this.withdrawalsToday(),
      this.connectionHealth(),
      this.eventsPerDay(),
    ]);
    return {
      generated_at: new Date().toISOString(),
      consent: totals,
      withdrawals_today: today,
      connections,
      events_per_day: days,
    };
  }

  private async consentTotals() {
    const rows: { status: string; states: string; subjects: string }[] = await this.dataSource.query(
      `SELECT status, count(*) AS states, count(DISTINCT subject_id) AS subjects
         FROM consent_state GROUP BY status`,
    );
    const of = (status: string) => rows.find((r) => r.status === status);
    return {
      granted: Number(of('granted')?.states ?? 0),
      withdrawn: Number(of('withdrawn')?.states ?? 0),
      subjects_granted: Number(of('granted')?.subjects ?? 0),
      subjects_withdrawn: Number(of('withdrawn')?.subjects ?? 0),
    };
  }

  /** Withdrawals that changed someone's consent today (a repeated STOP confirms and is not counted). */
  private async withdrawalsToday(): Promise<number> {
    const rows: { n: string }[] = await this.dataSource.query(
      `SELECT count(*) AS n FROM consent_event
        WHERE status = 'withdrawn' AND effect = 'changed'
          AND recorded_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  private async connectionHealth() {
    const rows: ConnectionHealthRow[] = await this.dataSource.query(
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
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      type: r.type,
      status: r.status,
      vendor_id: r.vendor_id,
      vendor_name: r.vendor_name,
      deliveries: {
        succeeded: Number(r.succeeded),
        pending: Number(r.pending),
        in_progress: Number(r.in_progress),
        retrying: Number(r.retrying),
        dead: Number(r.dead),
        skipped: Number(r.skipped),
      },
      last_success_at: r.last_success_at ? new Date(r.last_success_at).toISOString() : null,
    }));
  }

  private async eventsPerDay() {
    const rows: { day: string; granted: string; withdrawn: string }[] = await this.dataSource.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day,
              count(e.id) FILTER (WHERE e.status = 'granted') AS granted,
              count(e.id) FILTER (WHERE e.status = 'withdrawn') AS withdrawn
         FROM generate_series(
                (now() AT TIME ZONE 'UTC')::date - ($1::int - 1), (now() AT TIME ZONE 'UTC')::date, interval '1 day'
              ) AS day
         LEFT JOIN consent_event e
           ON e.recorded_at >= (day AT TIME ZONE 'UTC') AND e.recorded_at < ((day + interval '1 day') AT TIME ZONE 'UTC')
        GROUP BY day ORDER BY day`,
      [OVERVIEW_DAYS],
    );
    return rows.map((r) => ({ day: r.day, granted: Number(r.granted), withdrawn: Number(r.withdrawn) }));
  }
}
