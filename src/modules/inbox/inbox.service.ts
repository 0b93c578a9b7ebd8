import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { rawBodyPlace } from './inbox-sealed-places';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { QueueService } from '../../platform/queue/queue.service';
import { INBOX_PROCESS_QUEUE, type InboxProcessJob, type InboxProvider } from './inbox.constants';
import { InboxRepository } from './inbox.repository';

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

/** A delivery whose effects are written, with what its handler concluded (its summary). */
export interface ProcessedInboxDelivery extends StoredInboxDelivery {
  /** The provider's signature header as received (Meta's X-Hub-Signature-256), null if none was kept. */
  signature: string | null;
  summary: Record<string, number>;
}

/**
 * Told of deliveries as they are processed, inside the transaction that marks them processed, so what it
 * writes commits with them (or not at all). Another module (the relay) subscribes without the inbox
 * knowing it.
 */
export type InboxProcessedListener = (
  manager: EntityManager,
  processed: readonly ProcessedInboxDelivery[],
) => Promise<void>;

/** Processing of stored deliveries: exactly once per delivery, retried until it succeeds. */
@Injectable()
export class InboxService {
  private readonly logger = new Logger(InboxService.name);
  private readonly handlers = new Map<InboxProvider, InboxHandler>();
  private readonly processedListeners: InboxProcessedListener[] = [];

  constructor(
    private readonly inbox: InboxRepository,
    private readonly crypto: CryptoService,
    private readonly metrics: MetricsService,
    private readonly jobs: QueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  register(provider: InboxProvider, handler: InboxHandler): void {
    this.handlers.set(provider, handler);
  }

  /** Subscribes to processed deliveries (see InboxProcessedListener). */
  onProcessed(listener: InboxProcessedListener): void {
    this.processedListeners.push(listener);
  }

  /**
   * Processes one delivery. The row is locked for the whole transaction, so two workers never process it
   * twice; a delivery already processed is skipped. On failure nothing of it is kept but the error, and
   * the error is rethrown so the job is retried.
   */
  async process(id: string): Promise<'processed' | 'skipped'> {
    try {
      return await this.inbox.transaction(async (manager) => {
        const row = await this.inbox.claim(manager, id);
        if (!row) return 'skipped';
        const handler = this.handlers.get(row.provider);
        if (!handler) throw new Error(`No inbox handler for provider ${row.provider}`);
        if (!row.raw_body || !row.key_id) throw new Error('raw body was purged before processing');
        const rawBody = this.crypto.open(
          { ciphertext: row.raw_body, keyId: row.key_id },
          rawBodyPlace(row.provider, row.delivery_id),
        );
        const delivery: StoredInboxDelivery = {
          id: row.id,
          provider: row.provider,
          deliveryId: row.delivery_id,
          receivedAt: new Date(row.received_at),
          rawBody,
          digest: CryptoService.sha256Hex(rawBody),
        };
        const summary = await handler.handle(manager, delivery);
        for (const listener of this.processedListeners) {
          await listener(manager, [{ ...delivery, signature: row.signature, summary }]);
        }
        await this.inbox.markProcessed(manager, id, summary);
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
      await this.inbox.markFailed(id, message.slice(0, 1000)).catch(() => undefined);
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
    const ids = await this.inbox.unprocessedOlderThan(olderThanSeconds);
    await this.enqueue(ids);
    if (ids.length) this.logger.warn({ count: ids.length }, 're-queued unprocessed inbox deliveries');
    return ids.length;
  }

  /** Drops raw bodies of processed deliveries past the retention period; the digest stays on the events. */
  async purge(): Promise<number> {
    return this.inbox.purgeBodiesOlderThan(this.config.inboxRetentionDays);
  }

  /**
   * Purges these deliveries' raw bodies now (a person's erasure: no raw body of theirs may remain), in the caller's
   * transaction; the digest stays on the events. Returns how many bodies were purged.
   */
  purgeBodies(manager: EntityManager, inboxIds: string[]): Promise<number> {
    return this.inbox.purgeBodiesOf(manager, inboxIds);
  }

  /** Marks every delivery of a provider (or one) for processing again (a parser fix, a new rule). */
  async replay(filter: { ids?: string[]; provider?: InboxProvider }): Promise<number> {
    const ids = await this.inbox.replayable(filter);
    if (ids.length === 0) return 0;
    await this.inbox.markPending(ids);
    await this.enqueue(ids);
    return ids.length;
  }

  /** Queues processing jobs of at most 100 deliveries each. */
  private async enqueue(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 100) {
      await this.jobs.insert<InboxProcessJob>(INBOX_PROCESS_QUEUE, [{ ids: ids.slice(i, i + 100) }]);
    }
  }
}
