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
  private single: Promise<{ text: string; values: unknown[] } | null> | null = null;

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
    let inTransaction = false;
    try {
      const sealed = batch.map((p) => this.crypto.seal(p.delivery.rawBody));
      const rows = [
        batch.map((p) => p.delivery.provider),
        batch.map((p) => p.delivery.deliveryId),
        sealed.map((s) => s.ciphertext),
        sealed.map((s) => s.keyId),
        batch.map((p) => p.delivery.signature),
      ];
      const single = await this.singleStatement();
      client = await this.pool.connect();
      let inserted: { id: string; provider: string; delivery_id: string }[];
      if (single) {
        // One statement, so one round trip and an implicit transaction: rows, job and NOTIFY commit together.
        inserted = (
          await client.query<{ id: string; provider: string; delivery_id: string }>(single.text, [
            ...single.values,
            ...rows,
            INBOX_CHANNEL,
          ])
        ).rows;
      } else {
        await client.query('BEGIN');
        inTransaction = true;
        inserted = (
          await client.query<{ id: string; provider: string; delivery_id: string }>(
            `INSERT INTO inbox (provider, delivery_id, raw_body, key_id, signature)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[])
             ON CONFLICT ON CONSTRAINT uq_inbox_provider_delivery DO NOTHING
             RETURNING id, provider, delivery_id`,
            rows,
          )
        ).rows;
        const ids = inserted.map((r) => r.id);
        if (ids.length) {
          await this.enqueue(client, ids);
          await client.query(`SELECT pg_notify($1, $2)`, [INBOX_CHANNEL, String(ids.length)]);
        }
        await client.query('COMMIT');
        inTransaction = false;
      }
      const byKey = new Map(inserted.map((r) => [`${r.provider}\u0000${r.delivery_id}`, r.id]));
      for (const p of batch) {
        const key = `${p.delivery.provider}\u0000${p.delivery.deliveryId}`;
        const id = byKey.get(key);
        // The first of several identical deliveries in one batch takes the row; the rest are duplicates.
        byKey.delete(key);
        p.resolve({ inboxId: id ?? null, duplicate: id === undefined });
      }
    } catch (error) {
      if (client && inTransaction) await client.query('ROLLBACK').catch(() => undefined);
      for (const p of batch) p.reject(error);
    } finally {
      client?.release();
    }
  }

  /**
   * The group commit as one statement: the inbox rows, the pg-boss job listing the ids inserted (pg-boss's
   * own INSERT, with the job built from those ids inside the statement) and the NOTIFY. pg-boss's SQL is
   * taken from pg-boss itself (boss.insert with a database that only records what it is asked to run), so
   * the job row is exactly the one boss.insert would write; if its shape is not the one expected (another
   * pg-boss version), null, and the writer uses a transaction of separate statements instead.
   */
  private singleStatement(): Promise<{ text: string; values: unknown[] } | null> {
    this.single ??= (async () => {
      const seen: { text: string; values: unknown[] }[] = [];
      const recorder = {
        executeSql: (text: string, values: unknown[]) => {
          seen.push({ text, values });
          return Promise.resolve({ rows: [] });
        },
      };
      await this.jobs.boss.insert([{ name: INBOX_PROCESS_QUEUE, data: { ids: [] } }], {
        db: recorder,
      });
      const recorded = seen.length === 1 ? seen[0] : null;
      const marker = 'json_to_recordset($1)';
      const text = recorded?.text;
      if (!recorded || !text || text.split(marker).length !== 2 || /\$(?:[7-9]|\d\d)/.test(text)) return null;
      if (!/^\s*WITH\s/i.test(text) || !/INSERT INTO \S+\.job\b/.test(text)) return null;
      const values = recorded.values.slice(1);
      const n = values.length; // pg-boss's own parameters become $2..$(n+1); $1 is the queue name
      const p = (i: number) => `$${n + 1 + i}`;
      const jobs = `(SELECT json_build_array(json_build_object('name', $1::text, 'data', json_build_object('ids', json_agg(id))))
                       FROM ins HAVING count(*) > 0)`;
      return {
        text: `WITH ins AS (
                 INSERT INTO inbox (provider, delivery_id, raw_body, key_id, signature)
                 SELECT * FROM unnest(${p(1)}::text[], ${p(2)}::text[], ${p(3)}::bytea[], ${p(4)}::text[], ${p(5)}::text[])
                 ON CONFLICT ON CONSTRAINT uq_inbox_provider_delivery DO NOTHING
                 RETURNING id, provider, delivery_id
               ),
               job AS (${text.replace(marker, `json_to_recordset(${jobs})`)}),
               wake AS (SELECT pg_notify(${p(6)}, count(*)::text) FROM ins HAVING count(*) > 0)
               SELECT id, provider, delivery_id, (SELECT count(*) FROM wake) AS woken FROM ins`,
        // The caller appends the five arrays, then the NOTIFY channel.
        values: [INBOX_PROCESS_QUEUE, ...values],
      };
    })().catch(() => null);
    return this.single;
  }

  private async enqueue(client: PoolClient, ids: string[]): Promise<void> {
    await this.jobs.insert<InboxProcessJob>(INBOX_PROCESS_QUEUE, [{ ids }], client);
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    while (this.inFlight > 0 || this.queue.length > 0) await new Promise((r) => setTimeout(r, 10));
  }
}
