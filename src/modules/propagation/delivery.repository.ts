import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { NOT_FOUND_AT_VENDOR } from '../connectors';
import { type EntityManager, In, IsNull, Not, Repository } from 'typeorm';
import { DeliveryEntity } from './entities/delivery.entity';
import type { DeliveryOperation, DeliveryStatus } from './propagation.constants';
import type { ClaimedDelivery, DeliveryUpdate } from './record-outcomes';
import { SETTLED_COLUMNS, type SettledRow } from './request-delivery.repository';
import type { SealedPayload } from './request-payload';
import { scrubbedText } from '../../platform/logging/personal-data-scrubber';

const OPEN: DeliveryStatus[] = ['pending', 'retrying'];

/** A delivery row as the API shows it (the service adds its connection's name). */
export interface DeliveryRow {
  id: string;
  connection_id: string;
  connection_name?: string;
  subject_id: string;
  operation: DeliveryOperation;
  trigger_event_id: string | null;
  request_id: string | null;
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
  evidence?: Record<string, unknown> | null;
  confirmation_due_at?: Date | null;
  /** The creation time to the microsecond (the keyset cursor). */
  cursor_at?: string;
}

export interface DeliveryFilter {
  subjectId?: string;
  connectionId?: string;
  status?: DeliveryStatus;
  operation?: DeliveryOperation;
  /** e.g. dpa_missing: only deliveries carrying this flag. */
  flag?: string;
  limit: number;
  /** Deliveries created before this time (the older, time-only page mark). */
  before?: string;
  /** After this row of the previous page (newest first). */
  cursor?: { at: string; id: string };
}

/**
 * The creation time to the microsecond, in UTC, as the keyset cursor carries it: a JavaScript Date keeps only
 * milliseconds, and a cursor rounded down would skip the rows created within the same millisecond.
 */
const CURSOR_AT = `to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** What the API shows of a row (never the sealed payload). */
const ROW_COLUMNS = `d.id, d.connection_id, d.subject_id, d.operation, d.trigger_event_id, d.request_id, d.status, d.reason,
  d.attempts, d.next_attempt_at, d.last_error, d.last_error_class, d.vendor_reference, d.coalesced, d.flags, d.created_at,
  d.updated_at, d.started_at, d.completed_at, d.evidence, d.confirmation_due_at, ${CURSOR_AT} AS cursor_at`;

/** The `delivery` table: planning, the worker's claim and record, and the DPO's reads and retries. */
@Injectable()
export class DeliveryRepository {
  constructor(@InjectRepository(DeliveryEntity) private readonly repo: Repository<DeliveryEntity>) {}

  // raw SQL: a coalescing upsert (ON CONFLICT on the partial unique index), one statement for every person and
  // connection of a batch (the people are distinct: a conflict may not touch one row twice).
  async planMany(
    manager: EntityManager,
    connectionIds: readonly string[],
    subjectIds: readonly string[],
    triggerEventIds: readonly string[],
    operation: DeliveryOperation,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO delivery (connection_id, subject_id, operation, trigger_event_id)
       SELECT c, p.subject_id, $4, p.event_id
         FROM unnest($1::uuid[]) AS c CROSS JOIN unnest($2::uuid[], $3::uuid[]) AS p(subject_id, event_id)
       ON CONFLICT (connection_id, subject_id, operation) WHERE status IN ('pending','retrying') AND request_id IS NULL
       DO UPDATE SET trigger_event_id = EXCLUDED.trigger_event_id, coalesced = delivery.coalesced + 1, updated_at = now()`,
      [connectionIds, subjectIds, triggerEventIds, operation],
    );
  }

  /**
   * These people's records at the connection need their current state (a record appeared, or shows an older value):
   * an open delivery is made due now (one waiting for a backfill included); one in progress will carry the state
   * (or be retried), and so did one that succeeded after the records were read (`readAt`: the read was stale); else
   * the latest delivery, when it was skipped because the vendor had no record, is re-opened; else a new one is
   * planned.
   * raw SQL: three data-modifying steps in one statement (CTEs), for a page of people at once.
   */
  async reopenOrPlan(
    manager: EntityManager,
    connectionId: string,
    subjectIds: readonly string[],
    readAt: Date,
  ): Promise<void> {
    await manager.query(
      `WITH open AS (
         UPDATE delivery SET next_attempt_at = now(), updated_at = now()
          WHERE connection_id = $1 AND subject_id = ANY($2::uuid[]) AND operation = 'consent_update'
            AND status IN ('pending','retrying')
         RETURNING subject_id),
       busy AS (
         SELECT subject_id FROM delivery
          WHERE connection_id = $1 AND subject_id = ANY($2::uuid[]) AND operation = 'consent_update'
            AND (status = 'in_progress' OR (status = 'succeeded' AND completed_at >= $3))),
       latest AS (
         SELECT DISTINCT ON (subject_id) id, subject_id, status, reason FROM delivery
          WHERE connection_id = $1 AND subject_id = ANY($2::uuid[]) AND operation = 'consent_update'
          ORDER BY subject_id, created_at DESC),
       reopened AS (
         UPDATE delivery d SET status = 'pending', reason = NULL, attempts = 0, next_attempt_at = now(),
                completed_at = NULL, updated_at = now()
           FROM latest l
          WHERE d.id = l.id AND l.status = 'skipped' AND l.reason = '${NOT_FOUND_AT_VENDOR}'
            AND l.subject_id NOT IN (SELECT subject_id FROM open)
         RETURNING d.subject_id)
       INSERT INTO delivery (connection_id, subject_id, operation, trigger_event_id)
       SELECT $1, s, 'consent_update', NULL FROM unnest($2::uuid[]) AS s
        WHERE s NOT IN (SELECT subject_id FROM open) AND s NOT IN (SELECT subject_id FROM reopened)
          AND s NOT IN (SELECT subject_id FROM busy)
       ON CONFLICT (connection_id, subject_id, operation) WHERE status IN ('pending','retrying') AND request_id IS NULL
       DO NOTHING`,
      [connectionId, subjectIds, readAt],
    );
  }

  /** Connections with due or orphaned deliveries. */
  async connectionsWithOpenWork(): Promise<string[]> {
    const rows = await this.repo
      .createQueryBuilder('d')
      .select('DISTINCT d.connection_id', 'connection_id')
      .where(`d.status IN ('pending','retrying','in_progress')`)
      .getRawMany<{ connection_id: string }>();
    return rows.map((r) => r.connection_id);
  }

  async hasDue(connectionId: string): Promise<boolean> {
    return this.repo
      .createQueryBuilder('d')
      .where(`d.connection_id = :connectionId AND d.status IN ('pending','retrying')`, { connectionId })
      .andWhere('d.next_attempt_at <= now()')
      .getExists();
  }

  /**
   * When the connection's next open delivery is due, or null when it has none; `requestsOnly`: of request
   * operations (all a paused connection still sends).
   */
  async nextDueAt(connectionId: string, requestsOnly = false): Promise<Date | null> {
    const qb = this.repo
      .createQueryBuilder('d')
      .select('min(d.next_attempt_at)', 'at')
      .where(`d.connection_id = :connectionId AND d.status IN ('pending','retrying')`, { connectionId });
    if (requestsOnly) qb.andWhere(`d.operation <> 'consent_update'`);
    const row = await qb.getRawOne<{ at: Date | null }>();
    return row?.at ? new Date(row.at) : null;
  }

  /** Deliveries a worker left in progress when it died: due again at once. */
  async takeBackInterrupted(connectionId: string): Promise<void> {
    await this.repo
      .createQueryBuilder()
      .update()
      .set({
        status: 'retrying',
        nextAttemptAt: () => 'now()',
        updatedAt: () => 'now()',
        lastError: 'the worker stopped during the attempt; retried',
      })
      .where(`connection_id = :connectionId AND status = 'in_progress'`, { connectionId })
      .execute();
  }

  /**
   * Hands deliveries this process claimed back to be sent again a few seconds later (their outcome could not be
   * recorded), without spending an attempt; rows already recorded are left alone.
   */
  async release(ids: readonly string[], reason: string): Promise<number> {
    const result = await this.repo
      .createQueryBuilder()
      .update()
      .set({
        status: 'retrying',
        nextAttemptAt: () => `now() + interval '5 seconds'`,
        attempts: () => 'greatest(attempts - 1, 0)',
        updatedAt: () => 'now()',
        lastError: scrubbedText(reason, 2000),
      })
      .where(`id = ANY(:ids) AND status = 'in_progress'`, { ids })
      .execute();
    return result.affected ?? 0;
  }

  /**
   * Ends the connection's open deliveries (its credentials are dead: every one; it is disconnected: its consent
   * updates, while requests are still tried with the credentials it keeps). Returns the ended rows.
   * raw SQL: the ended rows are returned for the settle hooks, in the same statement.
   */
  async endOpen(
    manager: EntityManager,
    connectionId: string,
    status: 'dead' | 'skipped',
    reason: string,
    { consentOnly = false }: { consentOnly?: boolean } = {},
  ): Promise<SettledRow[]> {
    const [rows]: [SettledRow[], number] = await manager.query(
      `UPDATE delivery SET status = $2, reason = $3, completed_at = now(), updated_at = now()
        WHERE connection_id = $1 AND status IN ('pending','retrying') AND (NOT $4 OR operation = 'consent_update')
        RETURNING ${SETTLED_COLUMNS}`,
      [connectionId, status, scrubbedText(reason, 2000), consentOnly],
    );
    return rows;
  }

  /**
   * Claims due deliveries; `requestsOnly`: only data-subject request operations (a paused or disconnected
   * connection still receives erasures and restrictions).
   * raw SQL: FOR UPDATE SKIP LOCKED claim in one statement (the hot path of every batch).
   */
  async claim(connectionId: string, limit: number, requestsOnly = false): Promise<ClaimedDelivery[]> {
    const [rows]: [ClaimedDelivery[], number] = await this.repo.query(
      `UPDATE delivery SET status = 'in_progress', attempts = attempts + 1, started_at = now(), updated_at = now()
        WHERE id IN (SELECT d.id FROM delivery d WHERE d.connection_id = $1 AND d.status IN ('pending','retrying')
                        AND d.next_attempt_at <= now() AND (NOT $3 OR d.operation <> 'consent_update')
                        -- one push per person at a time, so a later state never lands before an earlier one
                        AND NOT EXISTS (SELECT 1 FROM delivery p WHERE p.connection_id = d.connection_id
                                          AND p.subject_id = d.subject_id AND p.status = 'in_progress')
                        ORDER BY d.next_attempt_at, d.id LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, subject_id, operation, attempts, created_at, request_id`,
      [connectionId, limit, requestsOnly],
    );
    return rows;
  }

  /**
   * Records a batch's outcomes, only on deliveries still in progress (one taken back from a worker that lost
   * its lease is recorded by the worker that claimed it again: each outcome once). A processor's confirmation
   * that arrived before its acknowledgement was recorded settles the delivery at once. Returns the rows that
   * reached a final status, for the settle hooks.
   * raw SQL: a batch's outcomes in one bulk UPDATE from unnest (one round trip per batch).
   */
  async apply(
    manager: EntityManager,
    updates: readonly DeliveryUpdate[],
    sealedData: ReadonlyMap<string, SealedPayload> = new Map(),
  ): Promise<SettledRow[]> {
    const [rows]: [SettledRow[], number] = await manager.query(
      `WITH u AS (
         SELECT u.*
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::boolean[],
                       $8::text[], $9::jsonb[], $10::timestamptz[], $11::bytea[], $12::text[])
                AS u(id, status, reason, error, error_class, next_attempt_at, refund, vendor_reference, evidence,
                     confirmation_due_at, payload_ciphertext, payload_key_id)
           JOIN delivery d ON d.id = u.id)
       UPDATE delivery d SET
              -- A confirmation that came in while this was in flight is read from the row as locked now, not from
              -- the statement's snapshot: the callback may have committed while this UPDATE waited for the row.
              status = CASE WHEN u.status <> 'awaiting_confirmation' THEN u.status
                            WHEN d.evidence->>'confirmation' = 'completed' THEN 'succeeded'
                            WHEN d.evidence->>'confirmation' = 'failed' THEN 'dead' ELSE u.status END,
              reason = CASE WHEN u.status = 'awaiting_confirmation' AND d.evidence->>'confirmation' = 'failed'
                            THEN 'processor_reported_failure' ELSE u.reason END,
              last_error = u.error, last_error_class = u.error_class,
              next_attempt_at = coalesce(u.next_attempt_at, d.next_attempt_at),
              attempts = CASE WHEN u.refund THEN d.attempts - 1 ELSE d.attempts END,
              vendor_reference = coalesce(u.vendor_reference, d.vendor_reference),
              evidence = coalesce(u.evidence, '{}'::jsonb) || d.evidence,
              confirmation_due_at = coalesce(u.confirmation_due_at, d.confirmation_due_at),
              payload_ciphertext = coalesce(u.payload_ciphertext, d.payload_ciphertext),
              payload_key_id = coalesce(u.payload_key_id, d.payload_key_id),
              completed_at = CASE WHEN u.status IN ('succeeded','skipped','dead')
                                    OR (u.status = 'awaiting_confirmation' AND d.evidence ? 'confirmation')
                                  THEN now() ELSE NULL END,
              updated_at = now()
         FROM u
        WHERE d.id = u.id AND d.status = 'in_progress'
        RETURNING ${SETTLED_COLUMNS.split(', ')
          .map((c) => `d.${c}`)
          .join(', ')}`,
      [
        updates.map((u) => u.id),
        updates.map((u) => u.status),
        // A dead delivery's reason quotes the vendor's last error (retry policy): scrubbed like the error.
        updates.map((u) => (typeof u.reason === 'string' ? scrubbedText(u.reason, 2000) : null)),
        // A vendor's error text may echo the phone or email it was sent: scrubbed before it is stored.
        updates.map((u) => (typeof u.error === 'string' ? scrubbedText(u.error, 2000) : null)),
        updates.map((u) => u.errorClass),
        updates.map((u) => u.nextAttemptAt),
        updates.map((u) => u.refund),
        updates.map((u) => u.vendorReference),
        updates.map((u) => (u.evidence ? JSON.stringify(u.evidence) : null)),
        updates.map((u) => u.confirmationDueAt ?? null),
        updates.map((u) => sealedData.get(u.id)?.ciphertext ?? null),
        updates.map((u) => sealedData.get(u.id)?.keyId ?? null),
      ],
    );
    return rows.filter((r) => r.status === 'succeeded' || r.status === 'skipped' || r.status === 'dead');
  }

  /**
   * A page of deliveries, newest first, after the keyset cursor (the last row of the previous page: its creation
   * time to the microsecond, and its id for ties). Each filter is optional; every combination reads an index in
   * this order (ix_delivery_created, _connection_created, _status_created, _subject, _request_ops, _flagged), so a
   * page costs its own rows whatever the table's size.
   * raw SQL: row comparison for the keyset and = ANY(flags) on text[], which the query builder would only wrap.
   */
  async list(filter: DeliveryFilter): Promise<DeliveryRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.subjectId) add((p) => `d.subject_id = ${p}`, filter.subjectId);
    if (filter.connectionId) add((p) => `d.connection_id = ${p}`, filter.connectionId);
    if (filter.status) add((p) => `d.status = ${p}`, filter.status);
    if (filter.operation) {
      add((p) => `d.operation = ${p}`, filter.operation);
      // The partial index of request operations is chosen only when the query repeats its condition.
      if (filter.operation !== 'consent_update') where.push(`d.operation <> 'consent_update'`);
    }
    if (filter.flag) add((p) => `d.flags <> '{}' AND ${p} = ANY(d.flags)`, filter.flag);
    if (filter.before) add((p) => `d.created_at < ${p}::timestamptz`, filter.before);
    if (filter.cursor) {
      params.push(filter.cursor.at, filter.cursor.id);
      where.push(`(d.created_at, d.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(filter.limit);
    return this.repo.query(
      `SELECT ${ROW_COLUMNS} FROM delivery d
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY d.created_at DESC, d.id DESC LIMIT $${params.length}`,
      params,
    );
  }

  // raw SQL: the row in the API's snake_case, as list() gives it.
  async get(id: string): Promise<DeliveryRow | null> {
    const rows: DeliveryRow[] = await this.repo.query(
      `SELECT ${ROW_COLUMNS} FROM delivery d WHERE d.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Another open delivery for the same person, connection and operation (it carries the current state). */
  async otherOpen(
    manager: EntityManager,
    of: {
      id: string;
      connectionId: string;
      subjectId: string;
      operation: DeliveryOperation;
      requestId: string | null;
    },
  ): Promise<string | null> {
    const open = await manager.getRepository(DeliveryEntity).findOne({
      select: { id: true },
      where: {
        connectionId: of.connectionId,
        subjectId: of.subjectId,
        operation: of.operation,
        requestId: of.requestId ?? IsNull(),
        status: In(OPEN),
        id: Not(of.id),
      },
    });
    return open?.id ?? null;
  }

  /** Makes a delivery due now again (a DPO's retry), unless it is in progress or succeeded. */
  async reopen(manager: EntityManager, id: string): Promise<void> {
    await manager
      .getRepository(DeliveryEntity)
      .createQueryBuilder()
      .update()
      .set({ status: 'pending', nextAttemptAt: () => 'now()', reason: null, updatedAt: () => 'now()' })
      .where(`id = :id AND status IN ('pending','retrying','dead','skipped')`, { id })
      .execute();
  }

  /** Runs work in one transaction (callers compose this repository's methods in it). */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(work);
  }
}
