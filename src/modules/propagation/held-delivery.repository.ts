import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { DPA_MISSING } from './dpa-hold';
import { DeliveryEntity } from './entities/delivery.entity';

/** Deliveries held, or flagged, because their vendor has no valid DPA. */
@Injectable()
export class HeldDeliveryRepository {
  constructor(@InjectRepository(DeliveryEntity) private readonly repo: Repository<DeliveryEntity>) {}

  // raw SQL: array_append on text[] guarded by = ANY, one statement for the batch.
  async flagDpaMissing(deliveryIds: readonly string[]): Promise<void> {
    await this.repo.query(
      `UPDATE delivery SET flags = array_append(flags, $2), updated_at = now()
        WHERE id = ANY($1) AND NOT ($2 = ANY(flags))`,
      [deliveryIds, DPA_MISSING],
    );
  }

  /**
   * The latest held delivery per person, connection, operation and request on these connections goes back to
   * pending, unless an open one already covers it; returns the released rows.
   */
  // raw SQL: DISTINCT ON + NOT EXISTS in one UPDATE ... FROM.
  async releaseLatest(
    manager: EntityManager,
    connectionIds: readonly string[],
  ): Promise<{ id: string; connection_id: string }[]> {
    const [released]: [{ id: string; connection_id: string }[], number] = await manager.query(
      `UPDATE delivery d SET status = 'pending', reason = NULL, next_attempt_at = now(), completed_at = NULL,
              updated_at = now()
         FROM (SELECT DISTINCT ON (h.connection_id, h.subject_id, h.operation, h.request_id) h.id
                 FROM delivery h
                WHERE h.connection_id = ANY($1) AND h.status = 'skipped' AND h.reason = $2
                ORDER BY h.connection_id, h.subject_id, h.operation, h.request_id, h.created_at DESC, h.id DESC) latest
        WHERE d.id = latest.id
          AND NOT EXISTS (SELECT 1 FROM delivery o WHERE o.connection_id = d.connection_id
                            AND o.subject_id = d.subject_id AND o.operation = d.operation
                            AND o.request_id IS NOT DISTINCT FROM d.request_id
                            AND o.status IN ('pending','retrying'))
        RETURNING d.id, d.connection_id`,
      [connectionIds, DPA_MISSING],
    );
    return released;
  }

  /** The other held deliveries on these connections: an open or released one carries their change. */
  async supersedeRest(manager: EntityManager, connectionIds: readonly string[]): Promise<void> {
    await manager
      .getRepository(DeliveryEntity)
      .createQueryBuilder()
      .update()
      .set({ reason: `${DPA_MISSING}_superseded`, updatedAt: () => 'now()' })
      .where(`connection_id = ANY(:ids) AND status = 'skipped' AND reason = :held`, {
        ids: [...connectionIds],
        held: DPA_MISSING,
      })
      .execute();
  }

  /** Connections with held deliveries. */
  async connectionsWithHeld(): Promise<string[]> {
    const rows = await this.repo
      .createQueryBuilder('d')
      .select('DISTINCT d.connection_id', 'connection_id')
      .where(`d.status = 'skipped' AND d.reason = :held`, { held: DPA_MISSING })
      .getRawMany<{ connection_id: string }>();
    return rows.map((r) => r.connection_id);
  }

  /** Runs work in one transaction (callers compose this repository's methods in it). */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(work);
  }
}
