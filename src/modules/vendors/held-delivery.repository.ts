import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { PROPAGATION_CHANNEL } from '../propagation/propagation.constants';
import { DPA_MISSING } from './registry.types';

/**
 * The DPA gate's acting part, on propagation's delivery table: flagging what goes out without a valid
 * DPA, releasing what was held. It moves to the propagation module (which acts on the gate's "covered?"
 * answer); delete this file at that merge. Every method is `cross-module:`, all raw SQL (array
 * operators, DISTINCT ON, UPDATE ... FROM, pg_notify).
 */
@Injectable()
export class HeldDeliveryRepository {
  constructor(private readonly dataSource: DataSource) {}

  // cross-module: propagation's delivery. Flags deliveries that go out although the vendor has no valid DPA.
  async flagSentWithoutDpa(deliveryIds: readonly string[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE delivery SET flags = array_append(flags, $2), updated_at = now()
          WHERE id = ANY($1) AND NOT ($2 = ANY(flags))`,
      [deliveryIds, DPA_MISSING],
    );
  }

  /**
   * cross-module: propagation's delivery, connectors' connection. In one transaction: the latest held
   * delivery per person, connection and operation goes back to pending (unless one is already pending),
   * the rest are marked superseded, and `kick` runs for the connections released (in the same
   * transaction, so the queue job commits with the release).
   */
  releaseHeld(
    vendorId: string,
    kick: (manager: EntityManager, connectionIds: string[]) => Promise<void>,
  ): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
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
      await manager.query(
        `UPDATE delivery d SET reason = $2 || '_superseded', updated_at = now()
           FROM connection c WHERE c.id = d.connection_id AND c.vendor_id = $1 AND d.status = 'skipped' AND d.reason = $2`,
        [vendorId, DPA_MISSING],
      );
      const connectionIds = [...new Set(released.map((r) => r.connection_id))];
      if (connectionIds.length) await kick(manager, connectionIds);
      return released.length;
    });
  }

  // cross-module: propagation's notification channel. Wakes the propagation workers for these connections.
  async notifyPropagation(manager: EntityManager, connectionIds: readonly string[]): Promise<void> {
    await manager.query(`SELECT pg_notify($1, $2)`, [PROPAGATION_CHANNEL, connectionIds.join(',')]);
  }

  // cross-module: propagation's delivery, connectors' connection. Vendors with held deliveries.
  async vendorsWithHeldDeliveries(): Promise<string[]> {
    const vendors: { vendor_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT c.vendor_id FROM delivery d JOIN connection c ON c.id = d.connection_id
        WHERE d.status = 'skipped' AND d.reason = $1`,
      [DPA_MISSING],
    );
    return vendors.map((v) => v.vendor_id);
  }
}
