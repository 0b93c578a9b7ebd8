import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { InboxEntity } from './entities/inbox.entity';
import { INBOX_CHANNEL, type InboxLane, type InboxProvider } from './inbox.constants';
import { scrubbedText } from '../../platform/logging/personal-data-scrubber';

/** Deliveries to store, column by column (bodies already sealed). */
export interface InboxBatch {
  /** Each row's id, made by the caller (random UUIDs): PostgreSQL's gen_random_uuid() cost ~5 µs a row. */
  ids: string[];
  providers: InboxProvider[];
  deliveryIds: string[];
  ciphertexts: Buffer[];
  keyIds: string[];
  signatures: (string | null)[];
  lanes: InboxLane[];
}

export interface InsertedInboxRow {
  id: string;
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

const CLAIMED_COLUMNS = 'id, provider, delivery_id, received_at, raw_body, key_id, signature';

/** Seconds a failed delivery waits before its next attempt: 1, 2, 4… at most 10 minutes. */
const BACKOFF_SQL = `make_interval(secs => least(600, power(2, least(attempts, 20))))`;

/** The webhook inbox (inbox): stored deliveries, the processing queue they form, retention. */
@Injectable()
export class InboxRepository {
  private readonly pool: Pool;

  constructor(
    @InjectRepository(InboxEntity) private readonly inbox: Repository<InboxEntity>,
    @InjectDataSource() dataSource: DataSource,
  ) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  /** Runs fn in one transaction. */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.inbox.manager.transaction(fn);
  }

  /**
   * raw SQL, on the pg pool directly: the intake group commit (measured: the webhook's hot path). Stores
   * the batch, ignoring deliveries already stored, in one statement (one round trip, an implicit
   * transaction); returns the ids of the rows inserted (a delivery already stored, or twice in the batch, has its
   * id left out).
   *
   * The sealed bodies travel as one binary parameter (node-pg sends a Buffer as binary) cut apart by
   * offsets in SQL: a bytea[] parameter goes as hex text, twice the bytes to write and for PostgreSQL to
   * parse (measured: about a third of PostgreSQL's CPU per stored delivery, and most of the gateway's
   * socket writes). No NOTIFY here: PostgreSQL serialises every committing transaction that notifies on
   * one lock held through its WAL flush, so commits that notify cannot overlap; see notifyStored.
   */
  async storeBatch(batch: InboxBatch): Promise<InsertedInboxRow[]> {
    const starts: number[] = [];
    const lengths: number[] = [];
    let start = 1; // substring() counts from 1
    for (const body of batch.ciphertexts) {
      starts.push(start);
      lengths.push(body.length);
      start += body.length;
    }
    const result = await this.pool.query<InsertedInboxRow>({
      // Prepared once per connection: the same text for every batch size.
      name: 'inbox.store-batch',
      text: `INSERT INTO inbox (id, provider, delivery_id, raw_body, key_id, signature, lane)
             SELECT d.id, d.provider, d.delivery_id, substring($3::bytea FROM d.start FOR d.length), d.key_id,
                    d.signature, d.lane
               FROM unnest($9::uuid[], $1::text[], $2::text[], $4::int[], $5::int[], $6::text[], $7::text[],
                           $8::smallint[])
                    AS d(id, provider, delivery_id, start, length, key_id, signature, lane)
             ON CONFLICT ON CONSTRAINT uq_inbox_provider_delivery DO NOTHING
             RETURNING id`,
      values: [
        batch.providers,
        batch.deliveryIds,
        Buffer.concat(batch.ciphertexts),
        starts,
        lengths,
        batch.keyIds,
        batch.signatures,
        batch.lanes,
        batch.ids,
      ],
    });
    return result.rows;
  }

  /**
   * raw SQL: wakes the workers after deliveries committed, outside their transaction. A notifying commit
   * holds PostgreSQL's notify lock until its WAL is flushed; this transaction writes nothing else, so it
   * commits without waiting for the flush (synchronous_commit off for it alone): a wake-up lost in a crash
   * costs nothing, the rows are committed and the workers also poll.
   */
  async notifyStored(count: number): Promise<void> {
    await this.pool.query({
      name: 'inbox.notify-stored',
      text: `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)`,
      values: [INBOX_CHANNEL, String(count)],
    });
  }

  /**
   * raw SQL: FOR UPDATE SKIP LOCKED claim of up to `limit` deliveries due for processing, in these lanes,
   * lane by lane then oldest first, for the caller's transaction (two workers never take the same row; a
   * crashed worker's rows are unlocked and claimed again). Served by ix_inbox_claim.
   */
  async claimDue(
    manager: EntityManager,
    lanes: readonly InboxLane[],
    limit: number,
  ): Promise<ClaimedInboxRow[]> {
    return manager.query(
      `SELECT ${CLAIMED_COLUMNS} FROM inbox
        WHERE status <> 'processed' AND lane = ANY($1::smallint[])
          AND (next_attempt_at IS NULL OR next_attempt_at <= now())
        ORDER BY lane, received_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      [lanes, limit],
    );
  }

  /**
   * raw SQL: advisory locks have no TypeORM API. The signal lane's batches write to the ledger, which locks
   * each person as it meets them; two such batches at once, meeting two people in opposite orders, would
   * deadlock. One transaction-scoped lock, shared by every process, lets one signal batch run at a time
   * (status-only batches need none). `wait`: queue for it; otherwise false when another batch holds it.
   */
  async lockSignalLane(manager: EntityManager, wait: boolean): Promise<boolean> {
    const rows: { locked: boolean }[] = await manager.query(
      wait
        ? `SELECT pg_advisory_xact_lock(hashtextextended('inbox.signal-lane', 7)) IS NULL AS locked`
        : `SELECT pg_try_advisory_xact_lock(hashtextextended('inbox.signal-lane', 7)) AS locked`,
    );
    // pg_advisory_xact_lock returns void (NULL) once it holds the lock.
    return wait || rows[0]?.locked === true;
  }

  /**
   * raw SQL: FOR UPDATE SKIP LOCKED claim of one unprocessed delivery for the caller's transaction (two
   * workers never process it twice); null when it is processed or another worker holds it.
   */
  async claim(manager: EntityManager, id: string): Promise<ClaimedInboxRow | null> {
    const rows: ClaimedInboxRow[] = await manager.query(
      `SELECT ${CLAIMED_COLUMNS} FROM inbox
        WHERE id = $1 AND status <> 'processed' FOR UPDATE SKIP LOCKED`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** raw SQL: one UPDATE for a whole batch, each row with its own summary. */
  async markProcessed(
    manager: EntityManager,
    rows: readonly { id: string; summary: Record<string, number> }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `UPDATE inbox SET status = 'processed', processed_at = now(), attempts = attempts + 1,
              summary = u.summary, last_error = NULL, next_attempt_at = NULL
         FROM unnest($1::uuid[], $2::jsonb[]) AS u(id, summary)
        WHERE inbox.id = u.id`,
      [rows.map((r) => r.id), rows.map((r) => JSON.stringify(r.summary))],
    );
  }

  /** Records a failed attempt; the delivery is claimed again after a backoff that grows with its attempts. */
  async markFailed(id: string, message: string): Promise<void> {
    await this.inbox
      .createQueryBuilder()
      .update()
      .set({
        status: 'failed',
        attempts: () => 'attempts + 1',
        nextAttemptAt: () => `now() + ${BACKOFF_SQL}`,
        lastError: scrubbedText(message, 1000),
      })
      .where('id = :id', { id })
      .execute();
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

  /**
   * Marks deliveries whose body is still stored (optionally only these ids and/or one provider) pending
   * again, due now, and wakes the workers; returns how many. One statement: nothing is loaded.
   */
  async markReplayable(filter: { ids?: string[]; provider?: InboxProvider }): Promise<number> {
    const query = this.inbox
      .createQueryBuilder()
      .update()
      .set({ status: 'pending', nextAttemptAt: null })
      .where('raw_body IS NOT NULL');
    if (filter.ids) query.andWhere('id = ANY(:ids)', { ids: filter.ids });
    if (filter.provider) query.andWhere('provider = :provider', { provider: filter.provider });
    const affected = (await query.execute()).affected ?? 0;
    if (affected) await this.inbox.query(`SELECT pg_notify($1, $2)`, [INBOX_CHANNEL, String(affected)]);
    return affected;
  }
}
