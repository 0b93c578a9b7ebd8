import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { RecordLinks } from '../connectors';
import { DeliveryRepository } from './delivery.repository';
import { RECORD_CAME_BACK, type RequestOperation } from './propagation.constants';
import { RequestDeliveryRepository, type SettledRow } from './request-delivery.repository';
import { payloadPlace, RequestPayloads } from './request-payload';

/** A request delivery that reached its final status, as the settle hooks receive it. */
export interface SettledRequestDelivery {
  deliveryId: string;
  requestId: string;
  subjectId: string;
  connectionId: string;
  operation: RequestOperation;
  status: 'succeeded' | 'skipped' | 'dead';
  /** Why it was skipped or dead (e.g. dpa_missing, not_found_at_vendor, no_read_api); null when succeeded. */
  reason: string | null;
  /** e.g. dpa_missing (sent without a DPA), acknowledged_not_confirmed (the processor never confirmed). */
  flags: string[];
}

export type SettledHook = (manager: EntityManager, settled: SettledRequestDelivery) => Promise<void>;

/**
 * What happens in the transaction that settles a request delivery: the requests module's hooks (a request
 * completes when its last processor has answered), and, for an erasure of records that came back, the removal of
 * those records' links and of their sealed ids. A status is only ever set once from in progress or awaiting
 * confirmation, so each delivery is settled once (a held delivery released later settles again when it ends).
 */
@Injectable()
export class SettleHooks {
  private readonly hooks: SettledHook[] = [];

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly requestRows: RequestDeliveryRepository,
    private readonly payloads: RequestPayloads,
    private readonly links: RecordLinks,
  ) {}

  onSettled(hook: SettledHook): void {
    this.hooks.push(hook);
  }

  /** Runs work in one transaction, then the settle hooks of the rows it settled, in the same transaction. */
  within(work: (manager: EntityManager) => Promise<SettledRow[]>): Promise<SettledRow[]> {
    return this.deliveries.transaction(async (manager) => {
      const rows = await work(manager);
      await this.run(manager, rows);
      return rows;
    });
  }

  async run(manager: EntityManager, rows: readonly SettledRow[]): Promise<void> {
    for (const row of rows) {
      if (row.operation === 'consent_update') continue;
      if (row.status !== 'succeeded' && row.status !== 'skipped' && row.status !== 'dead') continue;
      if (row.request_id) {
        const settled: SettledRequestDelivery = {
          deliveryId: row.id,
          requestId: row.request_id,
          subjectId: row.subject_id,
          connectionId: row.connection_id,
          operation: row.operation,
          status: row.status,
          reason: row.reason,
          flags: row.flags ?? [],
        };
        // cross-module: the requests module's hooks record the processor's answer in this transaction.
        for (const hook of this.hooks) await hook(manager, settled);
      } else if (row.flags?.includes(RECORD_CAME_BACK) && row.status === 'succeeded') {
        await this.erasedRecordsGone(manager, row);
      }
    }
  }

  /** The records that came back are erased: their links and the sealed ids the delivery carried go. */
  private async erasedRecordsGone(manager: EntityManager, row: SettledRow): Promise<void> {
    const payload = this.payloads.open(
      { ciphertext: row.payload_ciphertext, keyId: row.payload_key_id },
      payloadPlace(row.subject_id, row.operation),
    );
    for (const remoteId of payload.remoteIds ?? [])
      await this.links.unlink(manager, row.connection_id, remoteId);
    await this.requestRows.clearPayloads(manager, { ids: [row.id] });
  }
}
