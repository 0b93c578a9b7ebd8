import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { NotFoundError, RequestValidationError } from '../../platform/http/problem';
import { ConnectionDirectory } from '../connectors';
import { LedgerReader } from '../ledger';
import { directionOf, type RetryRefusal, retryRefusal } from './delivery-advice';
import { DeliveryStats } from './delivery-stats.service';
import { type DeliveryFilter, DeliveryRepository, type DeliveryRow } from './delivery.repository';
import { PropagationKicker } from './propagation.kicker';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** What the list and the detail page add to a row: who (masked), what it told the processor, whether a retry helps. */
interface RowContext {
  subjectMasked: string | null;
  triggerStatus: 'granted' | 'withdrawn' | null;
}

export function deliveryView(row: DeliveryRow, context?: RowContext) {
  const refusal = retryRefusal(row);
  return {
    id: row.id,
    connection_id: row.connection_id,
    connection_name: row.connection_name ?? null,
    subject_id: row.subject_id,
    subject_masked: context?.subjectMasked ?? null,
    operation: row.operation,
    direction: directionOf(row.operation, context?.triggerStatus),
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
    evidence: row.evidence ?? {},
    confirmation_due_at: iso(row.confirmation_due_at),
    retryable: refusal === null,
    retry_refusal: refusal,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    started_at: iso(row.started_at),
    completed_at: iso(row.completed_at),
  };
}

export type DeliveryQuery = Omit<DeliveryFilter, 'cursor'> & { cursor?: string };

/** The keyset cursor of a page's last row: its creation time to the microsecond and its id, opaque to callers. */
function encodeCursor(row: Pick<DeliveryRow, 'cursor_at' | 'id'>): string {
  return Buffer.from(`${row.cursor_at}|${row.id}`).toString('base64url');
}

const CURSOR_SHAPE =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

function decodeCursor(cursor: string): { at: string; id: string } {
  const match = CURSOR_SHAPE.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  // The shape alone lets through days that do not exist (2026-02-30), which the database would refuse.
  const at = match ? new Date(match[1]) : null;
  const real = at && !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 19) === match![1].slice(0, 19);
  if (!match || !real) {
    throw new RequestValidationError('The page cursor is not one this API gave.', [
      { field: 'cursor', message: 'must be the next_cursor of a previous page' },
    ]);
  }
  return { at: match[1], id: match[2] };
}

/** Why a retry was refused, in words (the console shows the same reasons beside the delivery). */
const RETRY_REFUSALS: Record<RetryRefusal, string> = {
  succeeded: 'This delivery succeeded: there is nothing to retry.',
  not_finished: 'This delivery is still on its way: it is retried by itself.',
  waits_for_record:
    'The vendor has no record of this person: the delivery is sent again by itself when a record appears.',
  waits_for_dpa:
    'This delivery waits for a valid DPA with the vendor: it goes out by itself once there is one.',
};

/** The per-processor delivery record: the proof that a change reached (or could not reach) each one. */
@Injectable()
export class DeliveryService implements OnModuleInit {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly stats: DeliveryStats,
    private readonly directory: ConnectionDirectory,
    private readonly ledger: LedgerReader,
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

  /** A page of deliveries, newest first, across every connection unless filtered. */
  async list(query: DeliveryQuery) {
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    // One row more than asked says whether there is a next page.
    const rows = await this.deliveries.list({ ...query, cursor, limit: query.limit + 1 });
    const more = rows.length > query.limit;
    const page = await this.described(rows.slice(0, query.limit));
    const last = page.at(-1);
    return {
      deliveries: page,
      next_cursor: more && last ? encodeCursor(rows[query.limit - 1]) : null,
      next_before: more && last ? last.created_at : null,
    };
  }

  async get(id: string) {
    const row = await this.deliveries.get(id);
    if (!row) throw new NotFoundError(`No delivery ${id}`);
    const [view] = await this.described([row]);
    return view;
  }

  /**
   * The rows as the API shows them: with their connections' names (from the connectors module), their people's
   * masked identifiers and the status of the change behind each consent update (from the ledger's reader): one
   * look-up of each for the whole page.
   */
  private async described(rows: DeliveryRow[]) {
    if (rows.length === 0) return [];
    const [connections, masked, statuses] = await Promise.all([
      this.directory.byIds(rows.map((r) => r.connection_id)),
      this.ledger.maskedIdentifiers(rows.map((r) => r.subject_id)),
      this.ledger.eventStatuses(
        rows.flatMap((r) =>
          r.operation === 'consent_update' && r.trigger_event_id ? [r.trigger_event_id] : [],
        ),
      ),
    ]);
    return rows.map((r) =>
      deliveryView(
        { ...r, connection_name: connections.get(r.connection_id)?.name },
        {
          subjectMasked: masked.get(r.subject_id) ?? null,
          triggerStatus: r.trigger_event_id ? (statuses.get(r.trigger_event_id) ?? null) : null,
        },
      ),
    );
  }

  /**
   * A DPO's manual retry of a dead or skipped delivery. When a newer open delivery for the same person,
   * connection and operation exists, that one already carries the current state and is returned instead.
   */
  async retry(id: string) {
    const current = await this.get(id);
    if (current.retry_refusal) {
      throw new RequestValidationError(RETRY_REFUSALS[current.retry_refusal], [
        { field: 'id', message: RETRY_REFUSALS[current.retry_refusal] },
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
