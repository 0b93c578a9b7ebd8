import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Clock } from '../../platform/clock/clock';
import { NotificationListener } from '../../platform/database/notification-listener';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { RELAY_CHANNEL } from './relay.constants';
import { RelayDispatcher } from './relay-dispatcher';
import { RelayRepository } from './relay.repository';

/** The longest the loop sleeps: the net under a lost NOTIFY, and how often the lag gauge is refreshed. */
const POLL_MS = 2_000;
const PURGE_EVERY_MS = 3_600_000;

/**
 * The relay's loop (worker role only): sends while anything is due, then sleeps until the next row is due, a
 * NOTIFY (rows recorded) or the poll. relay_delivery is the queue of record; several processes share it by SKIP
 * LOCKED. It runs after processing committed, so forwarding never delays Meta's acknowledgement.
 */
@Injectable()
export class RelayWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RelayWorker.name);
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private kicked = false;
  private lastPurge = 0;
  private readonly retentionMs: number;

  constructor(
    private readonly dispatcher: RelayDispatcher,
    private readonly relay: RelayRepository,
    private readonly listener: NotificationListener,
    private readonly clock: Clock,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // The delivery log is kept as long as the inbox keeps raw bodies (INBOX_RETENTION_DAYS).
    this.retentionMs = config.inboxRetentionDays * 86_400_000;
  }

  onApplicationBootstrap(): void {
    if (!this.roles.worker || this.dispatcher.destinationList.length === 0) return;
    this.listener.on(RELAY_CHANNEL, () => this.kick());
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.kick();
    await this.loop;
  }

  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        this.kicked = false;
        while (!this.stopping && (await this.dispatcher.dispatchOnce()) > 0);
        await this.dispatcher.measureLag();
        await this.purgeHourly();
        if (this.stopping || this.kicked) continue;
        const next = await this.relay.nextDueAt();
        const wait = next ? Math.min(POLL_MS, Math.max(20, next.getTime() - this.clock.now())) : POLL_MS;
        await this.sleep(wait);
      } catch (error) {
        this.logger.error({ err: { message: (error as Error).message } }, 'relay pass failed; retrying');
        await this.sleep(POLL_MS);
      }
    }
  }

  private async purgeHourly(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    const removed = await this.relay.purgeLogBefore(new Date(now - this.retentionMs));
    if (removed) this.logger.log({ removed }, 'relay log past retention removed');
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
