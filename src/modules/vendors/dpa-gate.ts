import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { QueueService } from '../../platform/queue/queue.service';
import {
  PROPAGATION_CHANNEL,
  PROPAGATION_DRAIN_QUEUE,
  type DeliveryOperation,
  type DrainJob,
} from '../propagation/propagation.constants';
import { isDpaValidOn, needsValidDpa, utcDay, type DpaTerms } from './dpa-validity';
import { DPA_MISSING } from './registry.types';

/** The governing version of a vendor's DPA, in SQL: the latest decided version, else the latest draft. */
export const GOVERNING_DPA = `ORDER BY (status IN ('signed','expired','terminated','not_required')) DESC, version DESC LIMIT 1`;

export interface GateItem {
  deliveryId: string;
  operation: DeliveryOperation;
  states: readonly { status: string }[];
}

/**
 * Art. 28: no personal data goes to a processor without a signed, unexpired agreement. Deliveries that
 * would send it are held (skipped, reason dpa_missing) until a valid DPA arrives; withdrawals, erasures
 * and restrictions always go out, flagged dpa_missing for the DPO.
 */
@Injectable()
export class DpaGate {
  private readonly logger = new Logger(DpaGate.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: QueueService,
  ) {}

  /** Whether the vendor of the connection has a valid DPA today. One query. */
  async connectionCovered(connectionId: string, day = utcDay()): Promise<boolean> {
    const rows: (Pick<DpaTerms, 'status' | 'effective_from' | 'expires_at'> & { found: boolean })[] =
      await this.dataSource.query(
        `SELECT g.status, g.effective_from::text AS effective_from, g.expires_at::text AS expires_at, true AS found
           FROM connection c
           LEFT JOIN LATERAL (SELECT status, effective_from, expires_at FROM dpa WHERE vendor_id = c.vendor_id
                              ${GOVERNING_DPA}) g ON true
          WHERE c.id = $1`,
        [connectionId],
      );
    const row = rows[0];
    return Boolean(row?.status) && isDpaValidOn(row, day);
  }

  async vendorCovered(vendorId: string, day = utcDay()): Promise<boolean> {
    const rows: Pick<DpaTerms, 'status' | 'effective_from' | 'expires_at'>[] = await this.dataSource.query(
      `SELECT status, effective_from::text AS effective_from, expires_at::text AS expires_at FROM dpa
        WHERE vendor_id = $1 ${GOVERNING_DPA}`,
      [vendorId],
    );
    return isDpaValidOn(rows[0] ?? null, day);
  }

  /**
   * Screens one batch the worker is about to send to a connection: returns the deliveries to hold, and
   * flags those that go out although the vendor has no valid DPA.
   */
  async screen(connectionId: string, items: readonly GateItem[]): Promise<Set<string>> {
    if (items.length === 0 || (await this.connectionCovered(connectionId))) return new Set();
    const held = new Set(items.filter((i) => needsValidDpa(i.operation, i.states)).map((i) => i.deliveryId));
    const flagged = items.filter((i) => !held.has(i.deliveryId)).map((i) => i.deliveryId);
    if (flagged.length) {
      await this.dataSource.query(
        `UPDATE delivery SET flags = array_append(flags, $2), updated_at = now()
          WHERE id = ANY($1) AND NOT ($2 = ANY(flags))`,
        [flagged, DPA_MISSING],
      );
    }
    if (held.size)
      this.logger.warn({ connectionId, held: held.size }, 'deliveries held: the vendor has no valid DPA');
    return held;
  }

  /**
   * Releases what was held for the vendor once its DPA is valid: the latest held delivery per person,
   * connection and operation goes back to pending (the worker pushes current state, so one carries every
   * held change); older ones, or ones an open delivery already covers, are marked superseded.
   */
  async release(vendorId: string): Promise<number> {
    if (!(await this.vendorCovered(vendorId))) return 0;
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
      if (connectionIds.length) {
        const db = await QueueService.dbOf(manager);
        for (const connectionId of connectionIds) {
          await this.jobs.boss.send(PROPAGATION_DRAIN_QUEUE, { connectionId } satisfies DrainJob, {
            singletonKey: connectionId,
            db,
          });
        }
        await manager.query(`SELECT pg_notify($1, $2)`, [PROPAGATION_CHANNEL, connectionIds.join(',')]);
        this.logger.log(
          { vendorId, released: released.length },
          'held deliveries released: the DPA is valid',
        );
      }
      return released.length;
    });
  }

  /** Vendors whose DPA became valid without anyone touching it (an effective date reached). */
  async releaseAll(): Promise<number> {
    const vendors: { vendor_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT c.vendor_id FROM delivery d JOIN connection c ON c.id = d.connection_id
        WHERE d.status = 'skipped' AND d.reason = $1`,
      [DPA_MISSING],
    );
    let released = 0;
    for (const v of vendors) released += await this.release(v.vendor_id);
    return released;
  }
}
