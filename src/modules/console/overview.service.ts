import { Injectable } from '@nestjs/common';
import { ConnectionDirectory } from '../connectors';
import { LedgerReader } from '../ledger';
import { DeliveryStats } from '../propagation';
import { HEALTH_WINDOW_DAYS, judgeHealth } from './connection-health';

/** Days of history the overview chart shows. */
export const OVERVIEW_DAYS = 14;

/**
 * Days of deliveries a connection's health counts: what it does now, not what it did a year ago (and a count
 * over every delivery ever made costs seconds at a million).
 */
export const HEALTH_DAYS = 30;

const NO_DELIVERIES = { succeeded: 0, pending: 0, in_progress: 0, retrying: 0, dead: 0, skipped: 0 };

/**
 * The console's landing numbers: consent in force, today's withdrawals, how propagation is doing per
 * connection, and the last two weeks of events. Counts only: no person's data leaves this service.
 * "Today" and the days of the chart are UTC days. The console owns no table: each figure comes from the
 * module that owns it, read in parallel.
 */
@Injectable()
export class OverviewService {
  constructor(
    private readonly ledger: LedgerReader,
    private readonly connections: ConnectionDirectory,
    private readonly deliveries: DeliveryStats,
  ) {}

  async overview() {
    const [figures, connections] = await Promise.all([
      this.ledger.overviewFigures(OVERVIEW_DAYS),
      this.connectionHealth(),
    ]);
    return {
      generated_at: new Date().toISOString(),
      consent: figures.consent,
      withdrawals_today: figures.withdrawals_today,
      health_days: HEALTH_DAYS,
      connections,
      events_per_day: figures.events_per_day,
    };
  }

  /**
   * Every connection not disconnected, by name, with its delivery counts (all time), what became of its
   * deliveries of the last HEALTH_WINDOW_DAYS days, and the health judged from them (connection-health.ts).
   */
  private async connectionHealth() {
    const live = await this.connections.live();
    const since = new Date(Date.now() - HEALTH_DAYS * 86_400_000);
    const [counts, recent] = await Promise.all([
      this.deliveries.countsByConnection(
        live.map((c) => c.id),
        since,
      ),
      this.deliveries.recentOutcomes(HEALTH_WINDOW_DAYS),
    ]);
    return live.map((c) => {
      const window = recent.get(c.id);
      const { last_success_at, ...deliveries } = counts.get(c.id) ?? {
        ...NO_DELIVERIES,
        last_success_at: null,
      };
      return {
        id: c.id,
        name: c.name,
        type: c.type,
        status: c.status,
        vendor_id: c.vendorId,
        vendor_name: c.vendorName,
        deliveries,
        last_success_at: last_success_at ? new Date(last_success_at).toISOString() : null,
        recent: {
          days: HEALTH_WINDOW_DAYS,
          succeeded: window?.succeeded ?? 0,
          skipped: window?.skipped ?? 0,
          dead: window?.dead ?? 0,
          open: window?.open ?? 0,
        },
        health: judgeHealth(c, window),
      };
    });
  }
}
