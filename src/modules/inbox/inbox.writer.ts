import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { QueueService } from '../../platform/queue/queue.service';
import {
  INBOX_CHANNEL,
  INBOX_PROCESS_QUEUE,
  type InboxProcessJob,
  type InboxProvider,
} from './inbox.constants';

export interface InboundDelivery {
  provider: InboxProvider;
  /** The provider's delivery id, or the SHA-256 of the raw body when it has none. */
  deliveryId: string;
  rawBody: Buffer;
  signature: string | null;
}

export interface StoredDelivery {
  inboxId: string | null;
  duplicate: boolean;
}

interface Pending {
  delivery: InboundDelivery;
  resolve: (result: StoredDelivery) => void;
  reject: (error: unknown) => void;
}

/** Commits in flight at once; further requests wait and then share the next commit. */
const MAX_IN_FLIGHT = 4;
const MAX_BATCH = 256;

/**
 * Stores inbound deliveries before they are acknowledged. Concurrent requests share a commit (group
 * commit): while a transaction is in flight, new deliveries queue up and go in the next one, so under load
 * one fsync acknowledges many webhooks, and at low load a delivery is written at once. A promise resolves
 * only after its row, its processing job and the wake-up notification have committed together.
 */
@Injectable()
export class InboxWriter implements OnModuleDestroy {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private readonly pool: Pool;
  private closing = false;

  constructor(
    dataSource: DataSource,
    private readonly crypto: CryptoService,
    private readonly jobs: QueueService,
  ) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  append(delivery: InboundDelivery): Promise<StoredDelivery> {
    if (this.closing) return Promise.reject(new Error('inbox writer is shutting down'));
    return new Promise<StoredDelivery>((resolve, reject) => {
      this.queue.push({ delivery, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    let client: PoolClient | null = null;
    try {
      client = await this.pool.connect();
      const sealed = batch.map((p) => this.crypto.seal(p.delivery.rawBody));
      await client.query('BEGIN');
      const inserted = await client.query<{ id: string; provider: string; delivery_id: string }>(
        `INSERT INTO inbox (provider, delivery_id, raw_body, key_id, signature)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[])
         ON CONFLICT ON CONSTRAINT uq_inbox_provider_delivery DO NOTHING
         RETURNING id, provider, delivery_id`,
        [
          batch.map((p) => p.delivery.provider),
          batch.map((p) => p.delivery.deliveryId),
          sealed.map((s) => s.ciphertext),
          sealed.map((s) => s.keyId),
          batch.map((p) => p.delivery.signature),
        ],
      );
      const ids = inserted.rows.map((r) => r.id);
      if (ids.length) {
        await this.enqueue(client, ids);
        await client.query(`SELECT pg_notify($1, $2)`, [INBOX_CHANNEL, String(ids.length)]);
      }
      await client.query('COMMIT');
      const byKey = new Map(inserted.rows.map((r) => [`${r.provider}\u0000${r.delivery_id}`, r.id]));
      for (const p of batch) {
        const key = `${p.delivery.provider}\u0000${p.delivery.deliveryId}`;
        const id = byKey.get(key);
        // The first of several identical deliveries in one batch takes the row; the rest are duplicates.
        byKey.delete(key);
        p.resolve({ inboxId: id ?? null, duplicate: id === undefined });
      }
    } catch (error) {
      if (client) await client.query('ROLLBACK').catch(() => undefined);
      for (const p of batch) p.reject(error);
    } finally {
      client?.release();
    }
  }

  private async enqueue(client: PoolClient, ids: string[]): Promise<void> {
    await this.jobs.insert<InboxProcessJob>(INBOX_PROCESS_QUEUE, [{ ids }], client);
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    while (this.inFlight > 0 || this.queue.length > 0) await new Promise((r) => setTimeout(r, 10));
  }
}
