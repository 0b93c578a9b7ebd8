import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { rawBodyPlace } from './inbox-sealed-places';
import { InboxLane, type InboxProvider } from './inbox.constants';
import { InboxUnavailableError } from './inbox.errors';
import { InboxRepository } from './inbox.repository';

export interface InboundDelivery {
  provider: InboxProvider;
  /** The provider's delivery id, or the SHA-256 of the raw body when it has none. */
  deliveryId: string;
  rawBody: Buffer;
  signature: string | null;
  /** Which processing lane it joins; Signal (served first) when the caller cannot tell. */
  lane?: InboxLane;
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
const MAX_IN_FLIGHT = 2;
const MAX_BATCH = 256;
/** Deliveries that justify a commit while another is in flight. */
const MIN_SHARED_BATCH = 32;
/**
 * Deliveries that may wait for a commit. Beyond it the writer is not keeping up (a slow or failing
 * database): new ones are refused at once with 503 + Retry-After, instead of holding ever more bodies and
 * sockets in memory.
 */
const MAX_WAITING = 8192;
const RETRY_AFTER_SECONDS = 5;

/**
 * Stores inbound deliveries before they are acknowledged. Concurrent requests share a commit (group
 * commit): while a transaction is in flight, new deliveries queue up and go in the next one, so under load
 * one fsync acknowledges many webhooks, and at low load a delivery is written at once. A promise resolves
 * only after its row has committed; the workers' wake-up follows the commit (see wake).
 */
@Injectable()
export class InboxWriter implements OnModuleDestroy {
  private readonly logger = new Logger(InboxWriter.name);
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private closing = false;
  /** A wake-up is being sent; `wakeAgain`: deliveries committed meanwhile, send one more after it. */
  private waking = false;
  private wakeAgain = 0;

  constructor(
    private readonly inbox: InboxRepository,
    private readonly crypto: CryptoService,
  ) {}

  append(delivery: InboundDelivery): Promise<StoredDelivery> {
    if (this.closing) {
      return Promise.reject(new InboxUnavailableError('The gateway is shutting down.', RETRY_AFTER_SECONDS));
    }
    if (this.queue.length >= MAX_WAITING) {
      return Promise.reject(
        new InboxUnavailableError('Too many deliveries are waiting to be stored.', RETRY_AFTER_SECONDS),
      );
    }
    return new Promise<StoredDelivery>((resolve, reject) => {
      this.queue.push({ delivery, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    // A second commit starts only for a batch worth it: a commit's cost is mostly per statement, so a few
    // deliveries wait for the one in flight and share the next (measured: batches of ~8 held intake to
    // ~3,600/s, PostgreSQL-bound).
    while (
      this.inFlight < MAX_IN_FLIGHT &&
      this.queue.length > 0 &&
      (this.inFlight === 0 || this.queue.length >= MIN_SHARED_BATCH)
    ) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      const sealed = batch.map((p) =>
        this.crypto.seal(p.delivery.rawBody, rawBodyPlace(p.delivery.provider, p.delivery.deliveryId)),
      );
      const ids = batch.map(() => randomUUID());
      const inserted = await this.inbox.storeBatch({
        ids,
        providers: batch.map((p) => p.delivery.provider),
        deliveryIds: batch.map((p) => p.delivery.deliveryId),
        ciphertexts: sealed.map((s) => s.ciphertext),
        keyIds: sealed.map((s) => s.keyId),
        signatures: batch.map((p) => p.delivery.signature),
        lanes: batch.map((p) => p.delivery.lane ?? InboxLane.Signal),
      });
      // A delivery whose row was not inserted is a duplicate: stored before, or earlier in this batch (the first
      // of several identical deliveries takes the row).
      const stored = new Set(inserted.map((r) => r.id));
      batch.forEach((p, i) => {
        const id = ids[i];
        p.resolve(stored.has(id) ? { inboxId: id, duplicate: false } : { inboxId: null, duplicate: true });
      });
      if (inserted.length > 0) this.wake(inserted.length);
    } catch (error) {
      // Nothing was stored: the senders retry. The database's own message stays in the log, not the answer.
      this.logger.error({ err: { message: (error as Error).message } }, 'inbox store failed');
      const refusal = new InboxUnavailableError(
        'The delivery could not be stored; retry.',
        RETRY_AFTER_SECONDS,
      );
      for (const p of batch) p.reject(refusal);
    }
  }

  /**
   * Tells the workers that deliveries committed, after the commit and outside it (see
   * InboxRepository.notifyStored). One wake-up at a time: commits that finish while one is being sent share
   * the next, so under load wake-ups do not grow with commits. Nothing waits for it: the deliveries are
   * already acknowledged, and a lost wake-up only delays them until the workers' next poll.
   */
  private wake(count: number): void {
    if (this.waking) {
      this.wakeAgain += count;
      return;
    }
    this.waking = true;
    this.inbox
      .notifyStored(count)
      .catch((error: unknown) => {
        this.logger.warn({ err: { message: (error as Error).message } }, 'inbox wake-up failed');
      })
      .finally(() => {
        this.waking = false;
        const again = this.wakeAgain;
        this.wakeAgain = 0;
        if (again > 0) this.wake(again);
      });
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    while (this.inFlight > 0 || this.queue.length > 0 || this.waking) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
