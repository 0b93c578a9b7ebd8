import { outboxContactPlace, subscriptionSecretPlace } from './event-sealed-places';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Clock } from '../../platform/clock/clock';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { NotificationListener } from '../../platform/database/notification-listener';
import { QueueService } from '../../platform/queue/queue.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import type { EventSubscriptionEntity } from './entities/event-subscription.entity';
import { EventOutboxRepository, type ClaimedEvent } from './event-outbox.repository';
import { decideEventRetry } from './event-retry';
import { EventSender } from './event-sender';
import { EventSubscriptionRepository } from './event-subscription.repository';
import { REQUEST_EVENTS_CHANNEL, REQUEST_EVENTS_QUEUE } from './event-types';

const BATCH = 50;
const CONCURRENCY = 8;
/** A retry due sooner than this is woken by a timer here; later ones by a timed job (the sweep is the net). */
const TIMER_HORIZON_MS = 60_000;

/**
 * Sends the outbox's due events to their subscriptions. The outbox is the queue of record: a NOTIFY (an
 * announcement committed), a timed job (the next retry is due) and a sweep every minute are only kicks. A
 * claim pushes each event a lease into the future, so an event whose sender died is simply due again later;
 * receivers de-duplicate by webhook-id. One drain at a time per process; several processes share by SKIP LOCKED.
 */
@Injectable()
export class EventDeliveryWorker implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventDeliveryWorker.name);
  private running: Promise<void> | null = null;
  private again = false;
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly leaseSeconds: number;
  private readonly baseDelayMs: number;

  constructor(
    private readonly outbox: EventOutboxRepository,
    private readonly subscriptions: EventSubscriptionRepository,
    private readonly sender: EventSender,
    private readonly crypto: CryptoService,
    private readonly jobs: QueueService,
    private readonly listener: NotificationListener,
    private readonly clock: Clock,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // Longer than any one attempt can take, so a live sender never sees its event claimed twice.
    this.leaseSeconds = Math.ceil(config.connectorTimeoutMs / 1000) + 60;
    this.baseDelayMs = config.retryBaseDelayMs;
  }

  async onModuleInit(): Promise<void> {
    await this.jobs.start([{ name: REQUEST_EVENTS_QUEUE, retryLimit: 0, expireInSeconds: 300 }]);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.roles.worker) return;
    this.listener.on(REQUEST_EVENTS_CHANNEL, () => this.kick());
    await this.jobs.work(REQUEST_EVENTS_QUEUE, { pollingIntervalSeconds: 30 }, () => {
      this.kick();
      return Promise.resolve();
    });
    await this.jobs.boss.schedule(REQUEST_EVENTS_QUEUE, '* * * * *');
    this.kick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Makes sure this process drains the outbox soon (at once, or again right after the current drain). */
  kick(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: Error) => this.logger.error({ err: { message: error.message } }, 'event drain failed'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Sends every due event; then asks for a kick when the next one is due. */
  async drain(): Promise<void> {
    for (;;) {
      this.again = false;
      const batch = await this.outbox.claimDue(BATCH, this.leaseSeconds);
      if (batch.length === 0) break;
      await this.sendBatch(batch);
      if (this.stopping) return;
    }
    const next = await this.outbox.nextDueAt();
    if (!next || this.stopping) return;
    const wait = Math.max(next.getTime() - this.clock.now(), 100);
    if (wait <= TIMER_HORIZON_MS) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.kick();
      }, wait);
      this.timer.unref();
    } else {
      const at = new Date(this.clock.now() + wait);
      await this.jobs.send(REQUEST_EVENTS_QUEUE, {}, { startAfter: at, singletonKey: `at:${at.getTime()}` });
    }
  }

  private async sendBatch(batch: ClaimedEvent[]): Promise<void> {
    const subscriptions = new Map(
      (await this.subscriptions.byIds([...new Set(batch.map((e) => e.subscriptionId))])).map((s) => [
        s.id,
        s,
      ]),
    );
    let next = 0;
    const lane = async () => {
      while (next < batch.length) {
        const event = batch[next++];
        await this.sendOne(event, subscriptions.get(event.subscriptionId)).catch((error: Error) =>
          this.logger.error({ eventId: event.id, err: { message: error.message } }, 'event send failed'),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batch.length) }, lane));
  }

  private async sendOne(
    event: ClaimedEvent,
    subscription: EventSubscriptionEntity | undefined,
  ): Promise<void> {
    const now = this.clock.now();
    if (!subscription || subscription.disabledAt) {
      await this.outbox.markFailed(event.id, null, 'subscription deleted', new Date(now));
      return;
    }
    const secret = this.crypto.openText(
      { ciphertext: subscription.secret, keyId: subscription.keyId },
      subscriptionSecretPlace(subscription.id),
    );
    const attempt = await this.sender.send(
      { url: subscription.url, secret },
      event.id,
      this.bodyOf(event),
      now,
    );
    const done = this.clock.now();
    if (attempt.delivered) {
      await this.outbox.markDelivered(event.id, attempt.status, new Date(done));
      return;
    }
    const decision = decideEventRetry(event.attempts, attempt, { now: done, baseDelayMs: this.baseDelayMs });
    if (decision.status === 'retrying') {
      await this.outbox.markRetrying(event.id, decision.nextAttemptAt, attempt.status, attempt.error);
    } else {
      await this.outbox.markFailed(event.id, attempt.status, decision.reason, new Date(done));
      this.logger.warn({ eventId: event.id, subscriptionId: subscription.id }, 'request event given up');
    }
  }

  /** The stored body with the person's contact, opened only for the moment it is sent. */
  private bodyOf(event: ClaimedEvent): string {
    const payload = event.payload as { data?: Record<string, unknown> };
    if (!event.sealedContact || !event.contactKeyId) return JSON.stringify(payload);
    const contact: unknown = JSON.parse(
      this.crypto.openText(
        { ciphertext: event.sealedContact, keyId: event.contactKeyId },
        outboxContactPlace(event.subscriptionId, event.requestId),
      ),
    );
    return JSON.stringify({ ...payload, data: { ...payload.data, contact } });
  }
}
