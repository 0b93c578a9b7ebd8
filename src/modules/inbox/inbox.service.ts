import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { rawBodyPlace } from './inbox-sealed-places';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { InboxLane, type InboxProvider } from './inbox.constants';
import { InboxRepository, type ClaimedInboxRow } from './inbox.repository';

export interface StoredInboxDelivery {
  id: string;
  provider: InboxProvider;
  deliveryId: string;
  receivedAt: Date;
  rawBody: Buffer;
  /** SHA-256 of the raw body, the digest every ledger event keeps as evidence. */
  digest: string;
}

/** PostgreSQL's deadlock_detected: nothing is wrong with the deliveries, only with the timing. */
const DEADLOCK = '40P01';

/** Turns one stored delivery into ledger writes, inside the transaction that marks it processed. */
export interface InboxHandler {
  handle(manager: EntityManager, delivery: StoredInboxDelivery): Promise<Record<string, number>>;
  /**
   * handle() for consecutive deliveries of a batch, with the same effects as handling each in order, written
   * together where that saves statements; one summary per delivery, in order. Optional.
   */
  handleBatch?(
    manager: EntityManager,
    deliveries: readonly StoredInboxDelivery[],
  ): Promise<Record<string, number>[]>;
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
   * Processes up to `limit` due deliveries of these lanes (lane by lane, oldest first) in one transaction:
   * their effects, the listeners (once, with the whole batch) and their processed marks commit together.
   * The rows stay locked until then, so two workers never process one twice. Signal batches run one at a
   * time across processes (InboxRepository.lockSignalLane): a loop serving only signals waits its turn, a
   * loop serving both takes statuses alone meanwhile. If the batch fails, it is rolled back; after a
   * deadlock it is simply claimed again, otherwise its deliveries are processed one per transaction, so a
   * bad delivery is marked failed (retried after a backoff) and the others go through. Returns how many
   * deliveries were claimed.
   */
  async processDue(lanes: readonly InboxLane[], limit: number): Promise<number> {
    let claimed: string[] = [];
    try {
      return await this.inbox.transaction(async (manager) => {
        let due = lanes;
        if (lanes.includes(InboxLane.Signal)) {
          const onlySignals = lanes.every((lane) => lane === InboxLane.Signal);
          if (!(await this.inbox.lockSignalLane(manager, onlySignals))) {
            due = lanes.filter((lane) => lane !== InboxLane.Signal);
          }
        }
        if (due.length === 0) return 0;
        const rows = await this.inbox.claimDue(manager, due, limit);
        claimed = rows.map((r) => r.id);
        await this.processRows(manager, rows);
        return rows.length;
      });
    } catch (error) {
      if (claimed.length === 0) throw error;
      if ((error as { code?: unknown }).code === DEADLOCK) {
        this.logger.warn({ count: claimed.length }, 'inbox batch deadlocked; it is claimed again');
        return 0;
      }
      for (const id of claimed) await this.process(id).catch(() => undefined);
      return claimed.length;
    }
  }

  /**
   * Processes one delivery in its own transaction; a delivery already processed, or held by another
   * worker, is skipped. On failure nothing of it is kept but the error and its next attempt's time, and
   * the error is rethrown.
   */
  async process(id: string): Promise<'processed' | 'skipped'> {
    try {
      return await this.inbox.transaction(async (manager) => {
        const row = await this.inbox.claim(manager, id);
        if (!row) return 'skipped';
        await this.processRows(manager, [row]);
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

  /** The effects of claimed rows, the listeners once for all of them, and their processed marks. */
  private async processRows(manager: EntityManager, rows: readonly ClaimedInboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    const deliveries = rows.map((row) => this.open(row));
    const processed: ProcessedInboxDelivery[] = [];
    // Runs of one provider, in claim order: a handler that writes batches gets the whole run at once.
    for (let start = 0; start < deliveries.length;) {
      const provider = deliveries[start].provider;
      let end = start + 1;
      while (end < deliveries.length && deliveries[end].provider === provider) end++;
      const run = deliveries.slice(start, end);
      const handler = this.handlers.get(provider);
      if (!handler) throw new Error(`No inbox handler for provider ${provider}`);
      const summaries = handler.handleBatch
        ? await handler.handleBatch(manager, run)
        : await this.eachInOrder(run, (d) => handler.handle(manager, d));
      run.forEach((d, i) =>
        processed.push({ ...d, signature: rows[start + i].signature, summary: summaries[i] }),
      );
      start = end;
    }
    for (const listener of this.processedListeners) await listener(manager, processed);
    await this.inbox.markProcessed(manager, processed);
    const now = Date.now();
    for (const delivery of processed) {
      this.metrics.inboxProcessingLatency.observe(
        { provider: delivery.provider },
        (now - delivery.receivedAt.getTime()) / 1000,
      );
    }
  }

  private async eachInOrder<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
    const out: R[] = [];
    for (const item of items) out.push(await fn(item));
    return out;
  }

  /** A claimed row as its handler reads it: the raw body opened. */
  private open(row: ClaimedInboxRow): StoredInboxDelivery {
    if (!row.raw_body || !row.key_id) throw new Error('raw body was purged before processing');
    const rawBody = this.crypto.open(
      { ciphertext: row.raw_body, keyId: row.key_id },
      rawBodyPlace(row.provider, row.delivery_id),
    );
    return {
      id: row.id,
      provider: row.provider,
      deliveryId: row.delivery_id,
      receivedAt: new Date(row.received_at),
      rawBody,
      digest: CryptoService.sha256Hex(rawBody),
    };
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

  /** Marks every delivery of a provider (or these) for processing again (a parser fix, a new rule). */
  replay(filter: { ids?: string[]; provider?: InboxProvider }): Promise<number> {
    return this.inbox.markReplayable(filter);
  }
}
