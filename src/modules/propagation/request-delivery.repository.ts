import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, IsNull, Repository } from 'typeorm';
import { DeliveryEntity } from './entities/delivery.entity';
import {
  ACKNOWLEDGED_NOT_CONFIRMED,
  type DeliveryOperation,
  type DeliveryStatus,
  RECORD_CAME_BACK,
  type RequestOperation,
} from './propagation.constants';
import type { SealedPayload } from './request-payload';

/** A request delivery that reached a final status, as the settle hooks need it. */
export interface SettledRow {
  id: string;
  request_id: string | null;
  subject_id: string;
  connection_id: string;
  operation: DeliveryOperation;
  status: DeliveryStatus;
  reason: string | null;
  flags: string[];
  payload_ciphertext: Buffer | null;
  payload_key_id: string | null;
}

/** The columns every settling statement returns. */
export const SETTLED_COLUMNS = `id, request_id, subject_id, connection_id, operation, status, reason, flags, payload_ciphertext, payload_key_id`;

/** A processor's signed callback about one delivery, as recorded. */
export interface ConfirmationChange {
  status: 'succeeded' | 'dead' | null;
  reason: string | null;
  lastError: string | null;
  evidence: Record<string, unknown>;
}

/**
 * The `delivery` table as data-subject requests use it: planning per request, the sealed payloads, the reads a
 * request shows, and the processor confirmations and their timeout.
 */
@Injectable()
export class RequestDeliveryRepository {
  constructor(@InjectRepository(DeliveryEntity) private readonly repo: Repository<DeliveryEntity>) {}

  /**
   * One delivery per connection for the request; a request's open delivery at a connection absorbs a repeat.
   * raw SQL: an upsert on the partial unique index of open request deliveries, one statement for every connection.
   */
  async plan(
    manager: EntityManager,
    input: {
      connectionIds: readonly string[];
      subjectId: string;
      operation: RequestOperation;
      requestId: string;
      payload: SealedPayload | null;
    },
  ): Promise<{ id: string; connection_id: string }[]> {
    // An INSERT's query answers its rows (an UPDATE's answers [rows, count]).
    const rows: { id: string; connection_id: string }[] = await manager.query(
      `INSERT INTO delivery (connection_id, subject_id, operation, request_id, payload_ciphertext, payload_key_id)
       SELECT c, $2, $3, $4, $5, $6 FROM unnest($1::uuid[]) AS c
       ON CONFLICT (connection_id, subject_id, operation, request_id)
          WHERE status IN ('pending','retrying') AND request_id IS NOT NULL
       DO UPDATE SET payload_ciphertext = coalesce(EXCLUDED.payload_ciphertext, delivery.payload_ciphertext),
                     payload_key_id = coalesce(EXCLUDED.payload_key_id, delivery.payload_key_id),
                     next_attempt_at = now(), updated_at = now()
       RETURNING id, connection_id`,
      [
        input.connectionIds,
        input.subjectId,
        input.operation,
        input.requestId,
        input.payload?.ciphertext ?? null,
        input.payload?.keyId ?? null,
      ],
    );
    return rows;
  }

  /** The open erasure of records that came back for this erased person at the connection, locked; null: none. */
  async openCameBack(
    manager: EntityManager,
    connectionId: string,
    subjectId: string,
  ): Promise<{ id: string; payloadCiphertext: Buffer | null; payloadKeyId: string | null } | null> {
    const row = await manager.getRepository(DeliveryEntity).findOne({
      select: { id: true, payloadCiphertext: true, payloadKeyId: true },
      where: {
        connectionId,
        subjectId,
        operation: 'erasure',
        requestId: IsNull(),
        status: In(['pending', 'retrying']),
      },
      lock: { mode: 'pessimistic_write' },
    });
    return row ?? null;
  }

  async setPayload(manager: EntityManager, id: string, payload: SealedPayload): Promise<void> {
    await manager
      .getRepository(DeliveryEntity)
      .update(
        { id },
        { payloadCiphertext: payload.ciphertext, payloadKeyId: payload.keyId, nextAttemptAt: () => 'now()' },
      );
  }

  /** A new erasure of records that came back (no request), flagged record_came_back. */
  async insertCameBack(
    manager: EntityManager,
    connectionId: string,
    subjectId: string,
    payload: SealedPayload,
  ): Promise<string> {
    const row = await manager.getRepository(DeliveryEntity).save({
      connectionId,
      subjectId,
      operation: 'erasure' as const,
      requestId: null,
      flags: [RECORD_CAME_BACK],
      payloadCiphertext: payload.ciphertext,
      payloadKeyId: payload.keyId,
    });
    return row.id;
  }

  /** The sealed payloads of these deliveries (those without one are absent). */
  async payloads(ids: readonly string[]): Promise<Map<string, SealedPayload>> {
    if (ids.length === 0) return new Map();
    const rows = await this.repo.find({
      select: { id: true, payloadCiphertext: true, payloadKeyId: true },
      where: { id: In([...ids]) },
    });
    return new Map(
      rows
        .filter((r) => r.payloadCiphertext && r.payloadKeyId)
        .map((r) => [r.id, { ciphertext: r.payloadCiphertext!, keyId: r.payloadKeyId! }]),
    );
  }

  /** Deliveries of a request, of ledger events, or of a person; oldest first. */
  async rows(where: {
    requestId?: string;
    eventIds?: readonly string[];
    subjectId?: string;
  }): Promise<DeliveryEntity[]> {
    if (where.eventIds && where.eventIds.length === 0) return [];
    return this.repo.find({
      where: {
        ...(where.requestId !== undefined ? { requestId: where.requestId } : {}),
        ...(where.eventIds ? { triggerEventId: In([...where.eventIds]) } : {}),
        ...(where.subjectId !== undefined ? { subjectId: where.subjectId } : {}),
      },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /**
   * Settles confirmations whose wait has run out: succeeded, flagged acknowledged_not_confirmed.
   * raw SQL: SKIP LOCKED claim and array_append in one UPDATE, returning what the settle hooks need.
   */
  async settleOverdue(manager: EntityManager, now: Date, limit: number): Promise<SettledRow[]> {
    const [rows]: [SettledRow[], number] = await manager.query(
      `UPDATE delivery SET status = 'succeeded', flags = array_append(flags, $3), completed_at = now(), updated_at = now()
        WHERE id IN (SELECT id FROM delivery WHERE status = 'awaiting_confirmation' AND confirmation_due_at <= $1
                      ORDER BY confirmation_due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING ${SETTLED_COLUMNS}`,
      [now, limit, ACKNOWLEDGED_NOT_CONFIRMED],
    );
    return rows;
  }

  /** The delivery a processor's callback names, locked for the confirmation; null when not at this connection. */
  async lockForConfirmation(
    manager: EntityManager,
    id: string,
    connectionId: string,
  ): Promise<Pick<DeliveryEntity, 'id' | 'operation' | 'status' | 'evidence' | 'flags'> | null> {
    const row = await manager.getRepository(DeliveryEntity).findOne({
      select: { id: true, operation: true, status: true, evidence: true, flags: true },
      where: { id, connectionId },
      lock: { mode: 'pessimistic_write' },
    });
    return row ?? null;
  }

  /**
   * Records a confirmation: its evidence always; a new status when it settles the delivery.
   * raw SQL: jsonb concatenation of the evidence, returning what the settle hooks need.
   */
  async confirm(manager: EntityManager, id: string, change: ConfirmationChange): Promise<SettledRow> {
    const [rows]: [SettledRow[], number] = await manager.query(
      `UPDATE delivery SET evidence = evidence || $2::jsonb, updated_at = now(),
              status = coalesce($3::text, status), reason = CASE WHEN $3::text IS NULL THEN reason ELSE $4::text END,
              last_error = CASE WHEN $3::text IS NULL THEN last_error ELSE $5::text END,
              completed_at = CASE WHEN $3::text IS NULL THEN completed_at ELSE now() END
        WHERE id = $1
        RETURNING ${SETTLED_COLUMNS}`,
      [id, JSON.stringify(change.evidence), change.status, change.reason, change.lastError],
    );
    return rows[0];
  }

  /** Forgets the personal data deliveries carried: the rows stay as proof. */
  async clearPayloads(
    manager: EntityManager,
    where: { subjectId: string } | { requestId: string } | { ids: string[] },
  ): Promise<void> {
    const qb = manager
      .getRepository(DeliveryEntity)
      .createQueryBuilder()
      .update()
      .set({ payloadCiphertext: null, payloadKeyId: null })
      .where('payload_ciphertext IS NOT NULL');
    if ('subjectId' in where) qb.andWhere('subject_id = :subjectId', { subjectId: where.subjectId });
    else if ('requestId' in where) qb.andWhere('request_id = :requestId', { requestId: where.requestId });
    else qb.andWhere('id = ANY(:ids)', { ids: where.ids });
    await qb.execute();
  }
}
