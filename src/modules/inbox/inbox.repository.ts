import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { QueueService } from '../../platform/queue/queue.service';
import { InboxEntity } from './entities/inbox.entity';
import {
  INBOX_CHANNEL,
  INBOX_PROCESS_QUEUE,
  type InboxProcessJob,
  type InboxProvider,
} from './inbox.constants';
import { scrubbedText } from '../../platform/logging/personal-data-scrubber';

/** Deliveries to store, column by column (bodies already sealed). */
export interface InboxBatch {
  providers: InboxProvider[];
  deliveryIds: string[];
  ciphertexts: Buffer[];
  keyIds: string[];
  signatures: (string | null)[];
}

export interface InsertedInboxRow {
  id: string;
  provider: string;
  delivery_id: string;
}

/** A stored delivery locked for processing. */
export interface ClaimedInboxRow {
  id: string;
  provider: InboxProvider;
  delivery_id: string;
  received_at: Date;
  raw_body: Buffer | null;
  key_id: string | null;
  signature: string | null;
}

/** The webhook inbox (inbox): stored deliveries, their processing status, retention. */
@Injectable()
export class InboxRepository {
  private readonly pool: Pool;
  private single: Promise<{ text: string; values: unknown[] } | null> | null = null;

  constructor(
    @InjectRepository(InboxEntity) private readonly inbox: Repository<InboxEntity>,
    @InjectDataSource() dataSource: DataSource,
    private readonly jobs: QueueService,
  ) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  /** Runs fn in one transaction. */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.inbox.manager.transaction(fn);
  }

  /**
   * raw SQL, on the pg pool directly: the intake group commit (measured: the webhook's hot path). Stores
   * the batch, ignoring deliveries already stored, with one pg-boss job listing the ids inserted and a
   * NOTIFY, all committed together; returns the rows inserted.
   */
  async storeBatch(batch: InboxBatch): Promise<InsertedInboxRow[]> {
    const rows = [batch.providers, batch.deliveryIds, batch.ciphertexts, batch.keyIds, batch.signatures];
    const single = await this.singleStatement();
    const client = await this.pool.connect();
    let inTransaction = false;
    try {
      if (single) {
        // One statement, so one round trip and an implicit transaction: rows, job and NOTIFY commit together.
        return (await client.query<InsertedInboxRow>(single.text, [...single.values, ...rows, INBOX_CHANNEL]))
          .rows;
      }
      await client.query('BEGIN');
      inTransaction = true;
      const inserted = (
        await client.query<InsertedInboxRow>(
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
      return inserted;
    } catch (error) {
      if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
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

  /**
   * raw SQL: FOR UPDATE SKIP LOCKED claim of one unprocessed delivery for the caller's transaction (two
   * workers never process it twice); null when it is processed or another worker holds it.
   */
  async claim(manager: EntityManager, id: string): Promise<ClaimedInboxRow | null> {
    const rows: ClaimedInboxRow[] = await manager.query(
      `SELECT id, provider, delivery_id, received_at, raw_body, key_id, signature FROM inbox
        WHERE id = $1 AND status <> 'processed' FOR UPDATE SKIP LOCKED`,
      [id],
    );
    return rows[0] ?? null;
  }

  async markProcessed(manager: EntityManager, id: string, summary: Record<string, number>): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(InboxEntity)
      .set({
        status: 'processed',
        processedAt: () => 'now()',
        attempts: () => 'attempts + 1',
        summary,
        lastError: null,
      })
      .where('id = :id', { id })
      .execute();
  }

  async markFailed(id: string, message: string): Promise<void> {
    await this.inbox
      .createQueryBuilder()
      .update()
      .set({ status: 'failed', attempts: () => 'attempts + 1', lastError: scrubbedText(message, 1000) })
      .where('id = :id', { id })
      .execute();
  }

  /** Deliveries not processed although received longer ago than this, oldest first, at most 5000. */
  async unprocessedOlderThan(seconds: number): Promise<string[]> {
    const rows = await this.inbox
      .createQueryBuilder('i')
      .select('i.id', 'id')
      .where(`i.status <> 'processed'`)
      .andWhere('i.raw_body IS NOT NULL')
      .andWhere('i.received_at < now() - make_interval(secs => :seconds)', { seconds })
      .orderBy('i.received_at')
      .limit(5000)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Drops raw bodies (and signatures) of processed deliveries received more than `days` ago; returns how many. */
  async purgeBodiesOlderThan(days: number): Promise<number> {
    const result = await this.inbox
      .createQueryBuilder()
      .update()
      .set({ rawBody: null, signature: null, purgedAt: () => 'now()' })
      .where('raw_body IS NOT NULL')
      .andWhere(`status = 'processed'`)
      .andWhere('received_at < now() - make_interval(days => :days)', { days })
      .execute();
    return result.affected ?? 0;
  }

  /**
   * Drops the raw bodies (and signatures) of these deliveries now, as the retention purge does, in the caller's
   * transaction (a person's erasure); returns how many still had one.
   */
  async purgeBodiesOf(manager: EntityManager, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await manager
      .createQueryBuilder()
      .update(InboxEntity)
      .set({ rawBody: null, signature: null, purgedAt: () => 'now()' })
      .where('id = ANY(:ids)', { ids })
      .andWhere('raw_body IS NOT NULL')
      .execute();
    return result.affected ?? 0;
  }

  /** Ids of deliveries whose body is still stored, optionally only these ids and/or one provider. */
  async replayable(filter: { ids?: string[]; provider?: InboxProvider }): Promise<string[]> {
    const query = this.inbox.createQueryBuilder('i').select('i.id', 'id').where('i.raw_body IS NOT NULL');
    if (filter.ids) query.andWhere('i.id = ANY(:ids)', { ids: filter.ids });
    if (filter.provider) query.andWhere('i.provider = :provider', { provider: filter.provider });
    return (await query.getRawMany<{ id: string }>()).map((r) => r.id);
  }

  async markPending(ids: readonly string[]): Promise<void> {
    await this.inbox
      .createQueryBuilder()
      .update()
      .set({ status: 'pending' })
      .where('id = ANY(:ids)', { ids })
      .execute();
  }
}
