import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { QueueService } from '../../platform/queue/queue.service';
import { NotificationListener } from '../../platform/database/notification-listener';
import { INBOX_CHANNEL, InboxLane, LEGACY_INBOX_QUEUES } from './inbox.constants';
import { InboxService } from './inbox.service';

/** Deliveries per transaction. The signal loop's batches are smaller: a STOP's latency is its batch's. */
const SIGNAL_BATCH = 100;
const BATCH = 500;
/** Loops that take signals first, then statuses (the signal loop is one more). */
const GENERAL_LOOPS = 2;
/** A loop with nothing to do looks again after this, unless a NOTIFY wakes it first (failed rows coming due). */
const IDLE_MS = 1000;
/** After an error (the database down): how long a loop waits before claiming again. */
const ERROR_MS = 2000;
const PURGE_EVERY_MS = 60_000;

/**
 * The worker side of the inbox, started only in processes with the worker role. The inbox table is the
 * queue: loops claim due rows in batches (SKIP LOCKED, so any number of loops and processes share it).
 * One loop serves the signal lane alone, so a STOP never waits behind a campaign's statuses; the others
 * take signals first, then statuses. Woken by NOTIFY as soon as a delivery commits; they poll as a
 * fallback. A crashed process's rows were never marked processed, so they are simply claimed again.
 */
@Injectable()
export class InboxWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(InboxWorker.name);
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private purgeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly inbox: InboxService,
    private readonly jobs: QueueService,
    private readonly listener: NotificationListener,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.roles.worker) return;
    this.running = true;
    this.listener.on(INBOX_CHANNEL, () => this.wakeAll());
    // Notifications may have been missed while the LISTEN connection was down.
    this.listener.onLost(() => this.wakeAll());
    this.loops.push(this.loop([InboxLane.Signal], SIGNAL_BATCH));
    for (let i = 0; i < GENERAL_LOOPS; i++)
      this.loops.push(this.loop([InboxLane.Signal, InboxLane.Bulk], BATCH));
    this.purgeTimer = setInterval(() => void this.purge(), PURGE_EVERY_MS);
    this.purgeTimer.unref();
    void this.removeLegacyQueues();
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.wakeAll();
    // Each loop finishes (commits or rolls back) its current batch.
    await Promise.all(this.loops);
  }

  private async loop(lanes: InboxLane[], limit: number): Promise<void> {
    while (this.running) {
      let wait = 0;
      try {
        const claimed = await this.inbox.processDue(lanes, limit);
        // A full batch means more is waiting: go on at once.
        if (claimed < limit) wait = IDLE_MS;
      } catch (error) {
        this.logger.warn({ err: { message: (error as Error).message } }, 'inbox claim failed; retrying');
        wait = ERROR_MS;
      }
      if (wait && this.running) await this.sleep(wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private async purge(): Promise<void> {
    try {
      const purged = await this.inbox.purge();
      if (purged) this.logger.log({ purged }, 'purged raw bodies past retention');
    } catch (error) {
      this.logger.warn({ err: { message: (error as Error).message } }, 'inbox purge failed; next time');
    }
  }

  /** Earlier versions' pg-boss queues (a job per delivery, a scheduled sweep) go; their rows are pending here. */
  private async removeLegacyQueues(): Promise<void> {
    try {
      await this.jobs.start();
      for (const name of LEGACY_INBOX_QUEUES) {
        if (!(await this.jobs.boss.getQueue(name))) continue;
        await this.jobs.boss.unschedule(name);
        await this.jobs.boss.deleteQueue(name);
      }
    } catch (error) {
      // Another process removing them at the same time, or the database away: harmless, tried next start.
      this.logger.debug({ err: { message: (error as Error).message } }, 'legacy inbox queues not removed');
    }
  }
}
