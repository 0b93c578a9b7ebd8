import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { DataSource } from 'typeorm';
import { NotFoundError, RequestValidationError } from '../../platform/http/problem';
import { QueueService } from '../../platform/queue/queue.service';
import {
  PROPAGATION_DRAIN_QUEUE,
  type DeliveryOperation,
  type DeliveryStatus,
  type DrainJob,
} from './propagation.constants';

export interface DeliveryRow {
  id: string;
  connection_id: string;
  connection_name?: string;
  subject_id: string;
  operation: DeliveryOperation;
  trigger_event_id: string | null;
  status: DeliveryStatus;
  reason: string | null;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  last_error_class: string | null;
  vendor_reference: string | null;
  coalesced: number;
  flags: string[] | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    connection_id: row.connection_id,
    connection_name: row.connection_name ?? null,
    subject_id: row.subject_id,
    operation: row.operation,
    trigger_event_id: row.trigger_event_id,
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

export interface DeliveryQuery {
  subjectId?: string;
  connectionId?: string;
  status?: DeliveryStatus;
  limit: number;
  before?: string;
}

/** The per-processor delivery record: the proof that a change reached (or could not reach) each one. */
@Injectable()
export class DeliveryService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: QueueService,
    private readonly metrics: MetricsService,
  ) {}

  /** The queued-deliveries gauge is read from the database at scrape time: true in every process. */
  onModuleInit(): void {
    const gauge = this.metrics.deliveriesQueued;
    const dataSource = this.dataSource;
    (gauge as unknown as { collect: () => Promise<void> }).collect = async () => {
      const rows: { name: string; status: string; n: string }[] = await dataSource.query(
        `SELECT c.name, d.status, count(*) AS n FROM delivery d JOIN connection c ON c.id = d.connection_id
          WHERE d.status IN ('pending','retrying','in_progress') GROUP BY c.name, d.status`,
      );
      gauge.reset();
      for (const r of rows) gauge.set({ connection: r.name, status: r.status }, Number(r.n));
    };
  }

  async list(query: DeliveryQuery) {
    if (!query.subjectId && !query.connectionId) {
      throw new RequestValidationError('Filter by subject_id or connection_id.', [
        { field: 'subject_id', message: 'subject_id or connection_id is required' },
      ]);
    }
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT d.*, c.name AS connection_name FROM delivery d JOIN connection c ON c.id = d.connection_id
        WHERE ($1::uuid IS NULL OR d.subject_id = $1) AND ($2::uuid IS NULL OR d.connection_id = $2)
          AND ($3::text IS NULL OR d.status = $3) AND ($4::timestamptz IS NULL OR d.created_at < $4)
        ORDER BY d.created_at DESC, d.id LIMIT $5`,
      [
        query.subjectId ?? null,
        query.connectionId ?? null,
        query.status ?? null,
        query.before ?? null,
        query.limit,
      ],
    );
    const deliveries = rows.map(deliveryView);
    return {
      deliveries,
      next_before: rows.length === query.limit ? deliveries[deliveries.length - 1].created_at : null,
    };
  }

  async get(id: string) {
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT d.*, c.name AS connection_name FROM delivery d JOIN connection c ON c.id = d.connection_id WHERE d.id = $1`,
      [id],
    );
    if (!rows[0]) throw new NotFoundError(`No delivery ${id}`);
    return deliveryView(rows[0]);
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
    const updated = await this.dataSource.transaction(async (manager) => {
      const open: { id: string }[] = await manager.query(
        `SELECT id FROM delivery WHERE connection_id = $1 AND subject_id = $2 AND operation = $3
            AND status IN ('pending','retrying') AND id <> $4`,
        [current.connection_id, current.subject_id, current.operation, id],
      );
      const target = open[0]?.id ?? id;
      await manager.query(
        `UPDATE delivery SET status = 'pending', next_attempt_at = now(), reason = NULL, updated_at = now()
          WHERE id = $1 AND status IN ('pending','retrying','dead','skipped')`,
        [target],
      );
      const db = await QueueService.dbOf(manager);
      await this.jobs.boss.send(
        PROPAGATION_DRAIN_QUEUE,
        { connectionId: current.connection_id } satisfies DrainJob,
        { db, singletonKey: current.connection_id },
      );
      return target;
    });
    return this.get(updated);
  }
}
