import { Injectable } from '@nestjs/common';
import { ConnectionDirectory } from '../connectors';
import { LedgerReader } from '../ledger';
import { DeliveryStats } from '../propagation';

/** Every UTC day of the last `days` days, oldest first (charts show empty days too). */
export function lastDays(days: number, now = new Date()): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) =>
    new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

const EMPTY = { succeeded: 0, retried: 0, dead: 0, skipped: 0 };

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

  /** Per connection (by name), every day of the range with its deliveries by how they ended. */
  async deliveriesPerDay(days: number) {
    const rows = await this.deliveries.perConnectionPerDay(days);
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
