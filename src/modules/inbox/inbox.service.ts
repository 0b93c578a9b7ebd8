import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { QueueService } from '../../platform/queue/queue.service';
import { INBOX_PROCESS_QUEUE, type InboxProcessJob, type InboxProvider } from './inbox.constants';

export interface StoredInboxDelivery {
  id: string;
  provider: InboxProvider;
  deliveryId: string;
  receivedAt: Date;
  rawBody: Buffer;
  /** SHA-256 of the raw body, the digest every ledger event keeps as evidence. */
  digest: string;
}

/** Turns one stored delivery into ledger writes, inside the transaction that marks it processed. */
export interface InboxHandler {
  handle(manager: EntityManager, delivery: StoredInboxDelivery): Promise<Record<string, number>>;
}

interface InboxRow {
  id: string;
  provider: InboxProvider;
  delivery_id: string;
  received_at: Date;
  raw_body: Buffer | null;
  key_id: string | null;
}

/** Processing of stored deliveries: exactly once per delivery, retried until it succeeds. */
@Injectable()
export class InboxService {
  private readonly logger = new Logger(InboxService.name);
  private readonly handlers = new Map<InboxProvider, InboxHandler>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly crypto: CryptoService,
    private readonly metrics: MetricsService,
    private readonly jobs: QueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  register(provider: InboxProvider, handler: InboxHandler): void {
    this.handlers.set(provider, handler);
  }

  /**
   * Processes one delivery. The row is locked for the whole transaction, so two workers never process it
   * twice; a delivery already processed is skipped. On failure nothing of it is kept but the error, and
   * the error is rethrown so the job is retried.
   */
  async process(id: string): Promise<'processed' | 'skipped'> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const rows: InboxRow[] = await manager.query(
          `SELECT id, provider, delivery_id, received_at, raw_body, key_id FROM inbox
            WHERE id = $1 AND status <> 'processed' FOR UPDATE SKIP LOCKED`,
          [id],
        );
        const row = rows[0];
        if (!row) return 'skipped';
        const handler = this.handlers.get(row.provider);
        if (!handler) throw new Error(`No inbox handler for provider ${row.provider}`);
        if (!row.raw_body || !row.key_id) throw new Error('raw body was purged before processing');
        const rawBody = this.crypto.open({ ciphertext: row.raw_body, keyId: row.key_id });
        const delivery: StoredInboxDelivery = {
          id: row.id,
          provider: row.provider,
          deliveryId: row.delivery_id,
          receivedAt: new Date(row.received_at),
          rawBody,
          digest: CryptoService.sha256Hex(rawBody),
        };
        const summary = await handler.handle(manager, delivery);
        await manager.query(
          `UPDATE inbox SET status = 'processed', processed_at = now(), attempts = attempts + 1, summary = $2,
                  last_error = NULL WHERE id = $1`,
          [id, JSON.stringify(summary)],
        );
        this.metrics.inboxProcessingLatency.observe(
          { provider: row.provider },
          (Date.now() - delivery.receivedAt.getTime()) / 1000,
        );
        return 'processed';
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.metrics.inboxFailures.inc({ provider: 'any' });
      this.logger.error({ inboxId: id, err: { message } }, 'inbox delivery processing failed; will retry');
      await this.dataSource
        .query(`UPDATE inbox SET status = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1`, [
          id,
          message.slice(0, 1000),
        ])
        .catch(() => undefined);
      throw error;
    }
  }

  async processJob(job: InboxProcessJob): Promise<void> {
    const failures: unknown[] = [];
    for (const id of job.ids) {
      try {
        await this.process(id);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length) throw new Error(`${failures.length} of ${job.ids.length} inbox deliveries failed`);
  }

  /**
   * Re-queues deliveries not processed within `olderThanSeconds` (a job lost with a crashed process, a
   * failure past its retries). Returns how many were re-queued.
   */
  async sweep(olderThanSeconds = 60): Promise<number> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM inbox WHERE status <> 'processed' AND raw_body IS NOT NULL
          AND received_at < now() - make_interval(secs => $1) ORDER BY received_at LIMIT 5000`,
      [olderThanSeconds],
    );
    for (let i = 0; i < rows.length; i += 100) {
      await this.jobs.insert<InboxProcessJob>(INBOX_PROCESS_QUEUE, [
        { ids: rows.slice(i, i + 100).map((r) => r.id) },
      ]);
    }
    if (rows.length) this.logger.warn({ count: rows.length }, 're-queued unprocessed inbox deliveries');
    return rows.length;
  }

  /** Drops raw bodies of processed deliveries past the retention period; the digest stays on the events. */
  async purge(): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE inbox SET raw_body = NULL, signature = NULL, purged_at = now()
        WHERE raw_body IS NOT NULL AND status = 'processed'
          AND received_at < now() - make_interval(days => $1)`,
      [this.config.inboxRetentionDays],
    );
    return result[1];
  }

  /** Marks every delivery of a provider (or one) for processing again (a parser fix, a new rule). */
  async replay(filter: { ids?: string[]; provider?: InboxProvider }): Promise<number> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM inbox WHERE raw_body IS NOT NULL
          AND ($1::uuid[] IS NULL OR id = ANY($1)) AND ($2::text IS NULL OR provider = $2)`,
      [filter.ids ?? null, filter.provider ?? null],
    );
    if (rows.length === 0) return 0;
    await this.dataSource.query(`UPDATE inbox SET status = 'pending' WHERE id = ANY($1)`, [
      rows.map((r) => r.id),
    ]);
    for (let i = 0; i < rows.length; i += 100) {
      await this.jobs.insert<InboxProcessJob>(INBOX_PROCESS_QUEUE, [
        { ids: rows.slice(i, i + 100).map((r) => r.id) },
      ]);
    }
    return rows.length;
  }
}
