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
   * The latest held delivery per person, connection and operation of the vendor goes back to pending,
   * unless an open one already covers it; returns the released rows.
   */
  // raw SQL: DISTINCT ON + NOT EXISTS in one UPDATE ... FROM. cross-module: joins connection for vendor_id.
  async releaseLatest(
    manager: EntityManager,
    vendorId: string,
  ): Promise<{ id: string; connection_id: string }[]> {
    const [released]: [{ id: string; connection_id: string }[], number] = await manager.query(
      `UPDATE delivery d SET status = 'pending', reason = NULL, next_attempt_at = now(), completed_at = NULL,
              updated_at = now()
         FROM (SELECT DISTINCT ON (h.connection_id, h.subject_id, h.operation) h.id
                 FROM delivery h JOIN connection c ON c.id = h.connection_id
                WHERE c.vendor_id = $1 AND h.status = 'skipped' AND h.reason = $2
                ORDER BY h.connection_id, h.subject_id, h.operation, h.created_at DESC, h.id DESC) latest
        WHERE d.id = latest.id
          AND NOT EXISTS (SELECT 1 FROM delivery o WHERE o.connection_id = d.connection_id
                            AND o.subject_id = d.subject_id AND o.operation = d.operation
                            AND o.status IN ('pending','retrying'))
        RETURNING d.id, d.connection_id`,
      [vendorId, DPA_MISSING],
    );
    return released;
  }

  /** The vendor's other held deliveries: an open or released one carries their change. */
  // raw SQL: UPDATE ... FROM. cross-module: joins connection for vendor_id.
  async supersedeRest(manager: EntityManager, vendorId: string): Promise<void> {
    await manager.query(
      `UPDATE delivery d SET reason = $2 || '_superseded', updated_at = now()
         FROM connection c WHERE c.id = d.connection_id AND c.vendor_id = $1 AND d.status = 'skipped' AND d.reason = $2`,
      [vendorId, DPA_MISSING],
    );
  }

  /** Vendors with held deliveries. */
  // raw SQL. cross-module: joins connection for vendor_id.
  async vendorsWithHeld(): Promise<string[]> {
    const rows: { vendor_id: string }[] = await this.repo.query(
      `SELECT DISTINCT c.vendor_id FROM delivery d JOIN connection c ON c.id = d.connection_id
        WHERE d.status = 'skipped' AND d.reason = $1`,
      [DPA_MISSING],
    );
    return rows.map((r) => r.vendor_id);
  }

  /** Runs work in one transaction (callers compose this repository's methods in it). */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(work);
  }
}
