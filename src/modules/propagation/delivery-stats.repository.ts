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

/** The statuses the overview counts (constants: interpolated into SQL, never from input). */
const STATUSES = ['succeeded', 'pending', 'in_progress', 'retrying', 'dead', 'skipped'] as const;

/**
 * When a connection's last delivery succeeded: the latest completion among its 50 most recently created
 * successes (read backwards along ix_delivery_connection_status). Exact unless a delivery that needed retries
 * completed after 50 newer ones; max(completed_at) over every success would read them all.
 */
const LAST_SUCCESS = `(SELECT max(x.completed_at) FROM (
    SELECT d.completed_at FROM delivery d WHERE d.connection_id = c.id AND d.status = 'succeeded'
     ORDER BY d.created_at DESC LIMIT 50) x)`;

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

  /**
   * Per connection: deliveries held for a missing DPA, and ones that went out flagged. Two counts, each read
   * from its partial index alone (ix_delivery_held, ix_delivery_flagged_dpa_missing, both led by
   * connection_id), the reason named as a literal so the planner can prove those indexes apply: one scan
   * with an OR and FILTERs would fetch every such row from the table.
   */
  async dpaMissingByConnection(): Promise<{ connection_id: string; held: number; flagged: number }[]> {
    return this.repo.query(
      `SELECT connection_id, sum(held)::int AS held, sum(flagged)::int AS flagged FROM (
         SELECT connection_id, count(*) AS held, 0 AS flagged FROM delivery
          WHERE status = 'skipped' AND reason = '${DPA_MISSING}' GROUP BY connection_id
         UNION ALL
         SELECT connection_id, 0, count(*) FROM delivery
          WHERE '${DPA_MISSING}' = ANY(flags) GROUP BY connection_id
       ) x GROUP BY connection_id`,
    );
  }

  /**
   * The figures of these connections (ones without deliveries are absent). Each figure is a count over one
   * range of ix_delivery_connection_status (or the dpa_missing partial indexes), per connection: an
   * aggregate with FILTERs over the connection's rows would read every one of them from the table, which at
   * a million deliveries takes seconds (test/bench/console-pages.js).
   */
  async figuresOf(
    connectionIds: readonly string[],
  ): Promise<({ connection_id: string } & ConnectionDeliveryFigures)[]> {
    if (connectionIds.length === 0) return [];
    const count = (where: string, recent = false) =>
      `(SELECT count(*) FROM delivery d WHERE d.connection_id = c.id AND ${where}` +
      `${recent ? ` AND d.created_at >= now() - interval '30 days'` : ''})::int`;
    const open = `d.status IN ('pending','retrying','in_progress')`;
    return this.repo.query(
      `SELECT c.id AS connection_id,
              ${count(`d.status = 'succeeded'`)} AS succeeded,
              ${count(`d.status = 'dead'`)} AS dead,
              ${count(open)} AS pending,
              ${count(`d.status = 'skipped'`)} AS skipped,
              ${count(`d.status = 'skipped' AND d.reason = $2`)} AS held_dpa_missing,
              ${count(`'${DPA_MISSING}' = ANY(d.flags)`)} AS flagged_dpa_missing,
              ${count('true', true)} AS total_30d,
              ${count(`d.status = 'succeeded'`, true)} AS succeeded_30d,
              ${count(`d.status = 'dead'`, true)} AS dead_30d,
              ${count(open, true)} AS pending_30d,
              ${count(`d.status = 'skipped'`, true)} AS skipped_30d,
              ${LAST_SUCCESS} AS last_succeeded_at
         FROM unnest($1::uuid[]) AS c(id)
        WHERE EXISTS (SELECT 1 FROM delivery d WHERE d.connection_id = c.id)`,
      [connectionIds, DPA_MISSING],
    );
  }

  /**
   * Counts by status per connection of the deliveries created since `since` (connections without any are
   * absent): one range of ix_delivery_connection_status per connection and status, as figuresOf. All-time
   * counts would read every delivery ever made (a second or more at a million), and health is about now.
   */
  async countsByConnection(
    connectionIds: readonly string[],
    since: Date,
  ): Promise<Map<string, ConnectionDeliveryCounts>> {
    if (connectionIds.length === 0) return new Map();
    const count = (status: string) =>
      `(SELECT count(*) FROM delivery d WHERE d.connection_id = c.id AND d.status = '${status}'
           AND d.created_at >= $2)::int`;
    const rows: ({ connection_id: string; last_success_at: Date | null } & Record<string, number>)[] =
      await this.repo.query(
        `SELECT c.id AS connection_id,
                ${STATUSES.map((status) => `${count(status)} AS ${status}`).join(', ')},
                ${LAST_SUCCESS} AS last_success_at
           FROM unnest($1::uuid[]) AS c(id)
          WHERE EXISTS (SELECT 1 FROM delivery d WHERE d.connection_id = c.id AND d.created_at >= $2)`,
        [connectionIds, since],
      );
    return new Map(
      rows.map((r) => [
        r.connection_id,
        {
          succeeded: r.succeeded,
          pending: r.pending,
          in_progress: r.in_progress,
          retrying: r.retrying,
          dead: r.dead,
          skipped: r.skipped,
          last_success_at: r.last_success_at ?? null,
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

  /**
   * Per connection, what became of its deliveries created in the last `days` days: how many succeeded, were
   * skipped, died or are still open, and the most common skip reason and error class (the overview's health).
   * Connections without deliveries in the window are absent.
   */
  async recentOutcomes(days: number): Promise<Map<string, RecentDeliveryOutcomes>> {
    const rows: ({ connection_id: string } & RecentDeliveryOutcomes)[] = await this.repo.query(
      `SELECT connection_id,
              count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE status = 'skipped')::int AS skipped,
              count(*) FILTER (WHERE status = 'dead')::int AS dead,
              count(*) FILTER (WHERE status NOT IN ('succeeded','skipped','dead'))::int AS open,
              mode() WITHIN GROUP (ORDER BY reason) FILTER (WHERE status = 'skipped') AS top_skip_reason,
              mode() WITHIN GROUP (ORDER BY last_error_class) FILTER (WHERE status = 'dead') AS top_dead_class
         FROM delivery
        WHERE created_at >= now() - make_interval(days => $1)
        GROUP BY connection_id`,
      [days],
    );
    return new Map(rows.map(({ connection_id, ...outcomes }) => [connection_id, outcomes]));
  }
}

/** What became of a connection's recent deliveries (DeliveryStatsRepository.recentOutcomes). */
export interface RecentDeliveryOutcomes {
  succeeded: number;
  skipped: number;
  dead: number;
  /** Pending, in progress, retrying or awaiting confirmation. */
  open: number;
  top_skip_reason: string | null;
  top_dead_class: string | null;
}
