import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { NotFoundError, RequestValidationError } from '../../platform/http/problem';
import { ConnectionDirectory } from '../connectors';
import { DeliveryStats } from './delivery-stats.service';
import { type DeliveryFilter, DeliveryRepository, type DeliveryRow } from './delivery.repository';
import { PropagationKicker } from './propagation.kicker';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    connection_id: row.connection_id,
    connection_name: row.connection_name ?? null,
    subject_id: row.subject_id,
    operation: row.operation,
    trigger_event_id: row.trigger_event_id,
    request_id: row.request_id ?? null,
    status: row.status,
    reason: row.reason,
    attempts: row.attempts,
    next_attempt_at: ['pending', 'retrying'].includes(row.status) ? iso(row.next_attempt_at) : null,
    last_error: row.last_error,
    last_error_class: row.last_error_class,
    vendor_reference: row.vendor_reference,
    coalesced_changes: row.coalesced,
    /** e.g. dpa_missing: a withdrawal sent to a vendor without a valid DPA. */
    flags: row.flags ?? [],
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    completed_at: iso(row.completed_at),
  };
}

export type DeliveryQuery = DeliveryFilter;

/** The per-processor delivery record: the proof that a change reached (or could not reach) each one. */
@Injectable()
export class DeliveryService implements OnModuleInit {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly stats: DeliveryStats,
    private readonly directory: ConnectionDirectory,
    private readonly kicker: PropagationKicker,
    private readonly metrics: MetricsService,
  ) {}

  /** The queued-deliveries gauge is read from the database at scrape time: true in every process. */
  onModuleInit(): void {
    const gauge = this.metrics.deliveriesQueued;
    (gauge as unknown as { collect: () => Promise<void> }).collect = async () => {
      const rows = await this.stats.queuedByConnection();
      const connections = await this.directory.byIds(rows.map((r) => r.connection_id));
      // Labelled by connection name, as the other delivery metrics are; connections sharing a name add up.
      const byLabel = new Map<string, { connection: string; status: string; n: number }>();
      for (const r of rows) {
        const connection = connections.get(r.connection_id)?.name;
        if (connection === undefined) continue;
        const key = `${connection}\u0000${r.status}`;
        const entry = byLabel.get(key) ?? { connection, status: r.status, n: 0 };
        entry.n += r.n;
        byLabel.set(key, entry);
      }
      gauge.reset();
      for (const { connection, status, n } of byLabel.values()) gauge.set({ connection, status }, n);
    };
  }

  async list(query: DeliveryQuery) {
    if (!query.subjectId && !query.connectionId) {
      throw new RequestValidationError('Filter by subject_id or connection_id.', [
        { field: 'subject_id', message: 'subject_id or connection_id is required' },
      ]);
    }
    const rows = await this.named(await this.deliveries.list(query));
    const deliveries = rows.map(deliveryView);
    return {
      deliveries,
      next_before: rows.length === query.limit ? deliveries[deliveries.length - 1].created_at : null,
    };
  }

  async get(id: string) {
    const row = await this.deliveries.get(id);
    if (!row) throw new NotFoundError(`No delivery ${id}`);
    const [named] = await this.named([row]);
    return deliveryView(named);
  }

  /** The rows with their connections' names (from the connectors module, one look-up for the page). */
  private async named(rows: DeliveryRow[]): Promise<DeliveryRow[]> {
    if (rows.length === 0) return rows;
    const connections = await this.directory.byIds(rows.map((r) => r.connection_id));
    return rows.map((r) => ({ ...r, connection_name: connections.get(r.connection_id)?.name }));
  }

  /**
   * A DPO's manual retry of a dead or skipped delivery. When a newer open delivery for the same person,
   * connection and operation exists, that one already carries the current state and is returned instead.
   */
  async retry(id: string) {
    const current = await this.get(id);
    if (current.status === 'succeeded' || current.status === 'in_progress') {
      throw new RequestValidationError(`A ${current.status} delivery cannot be retried.`, [
        { field: 'id', message: `delivery is ${current.status}` },
      ]);
    }
    const updated = await this.deliveries.transaction(async (manager) => {
      const open = await this.deliveries.otherOpen(manager, {
        id,
        connectionId: current.connection_id,
        subjectId: current.subject_id,
        operation: current.operation,
        requestId: current.request_id,
      });
      const target = open ?? id;
      await this.deliveries.reopen(manager, target);
      await this.kicker.kickWithin(manager, [current.connection_id], { notify: false });
      return target;
    });
    return this.get(updated);
  }
}
