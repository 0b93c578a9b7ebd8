import { Injectable } from '@nestjs/common';
import { ConnectionDirectory } from '../connectors';
import { LedgerReader } from '../ledger';
import { type DeliveriesPerDay, DeliveryStats } from '../propagation';

/** Every UTC day of the last `days` days, oldest first (charts show empty days too). */
export function lastDays(days: number, now = new Date()): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) =>
    new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

const EMPTY = { succeeded: 0, retried: 0, dead: 0, skipped: 0 };

/**
 * How long a deliveries chart is reused: counting 14 days of a million deliveries reads ~250k index entries
 * (~250 ms); a trend drawn a few seconds late is still true, and the overview is opened often.
 */
const DELIVERIES_CHART_TTL_MS = 30_000;

/**
 * The console's charts: counts per day only, no person's data. Each figure comes from the module that owns it
 * (deliveries from propagation, consent events from the ledger, connection names from connectors).
 */
@Injectable()
export class ChartsService {
  constructor(
    private readonly ledger: LedgerReader,
    private readonly connections: ConnectionDirectory,
    private readonly deliveries: DeliveryStats,
  ) {}

  private readonly recent = new Map<number, { at: number; rows: Promise<DeliveriesPerDay[]> }>();

  /** Per connection (by name), every day of the range with its deliveries by how they ended. */
  async deliveriesPerDay(days: number) {
    const rows = await this.deliveryRows(days);
    const names = await this.connections.byIds(rows.map((r) => r.connection_id));
    const range = lastDays(days);
    const byConnection = new Map<string, Map<string, typeof EMPTY>>();
    for (const { connection_id, day, ...counts } of rows) {
      const perDay = byConnection.get(connection_id) ?? new Map<string, typeof EMPTY>();
      perDay.set(day, counts);
      byConnection.set(connection_id, perDay);
    }
    const connections = [...byConnection]
      .map(([id, perDay]) => ({
        id,
        name: names.get(id)?.name ?? 'Removed connection',
        days: range.map((day) => ({ day, ...(perDay.get(day) ?? EMPTY) })),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { days: range, connections };
  }

  /** The counts, shared by the requests of the last half minute (a failed read is not kept). */
  private deliveryRows(days: number): Promise<DeliveriesPerDay[]> {
    const cached = this.recent.get(days);
    if (cached && Date.now() - cached.at < DELIVERIES_CHART_TTL_MS) return cached.rows;
    const rows = this.deliveries.perConnectionPerDay(days);
    this.recent.set(days, { at: Date.now(), rows });
    rows.catch(() => this.recent.delete(days));
    return rows;
  }

  /** Consent changes per day and source (granted and withdrawn), every day of the range listed. */
  async consentChangesPerDay(days: number) {
    const rows = await this.ledger.eventsPerDayBySource(days);
    const range = lastDays(days);
    const sources = [...new Set(rows.map((r) => r.source))].sort();
    const at = new Map(rows.map((r) => [`${r.day}\u0000${r.source}`, r]));
    return {
      days: range,
      sources: sources.map((source) => ({
        source,
        days: range.map((day) => {
          const r = at.get(`${day}\u0000${source}`);
          return { day, granted: r?.granted ?? 0, withdrawn: r?.withdrawn ?? 0 };
        }),
      })),
    };
  }
}
