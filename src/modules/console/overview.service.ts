import { Injectable } from '@nestjs/common';
import { OverviewRepository } from './overview.repository';

/** Days of history the overview chart shows. */
export const OVERVIEW_DAYS = 14;

/**
 * The console's landing numbers: consent in force, today's withdrawals, how propagation is doing per
 * connection, and the last two weeks of events. Counts only: no person's data leaves this service.
 * "Today" and the days of the chart are UTC days.
 */
@Injectable()
export class OverviewService {
  constructor(private readonly counts: OverviewRepository) {}

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
    const rows = await this.counts.consentTotalsByStatus();
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
    return this.counts.withdrawalsChangedToday();
  }

  private async connectionHealth() {
    const rows = await this.counts.connectionHealth();
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
    const rows = await this.counts.eventsPerDay(OVERVIEW_DAYS);
    return rows.map((r) => ({ day: r.day, granted: Number(r.granted), withdrawn: Number(r.withdrawn) }));
  }
}
