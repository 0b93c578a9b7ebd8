import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Clock } from '../../platform/clock/clock';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { QueueService } from '../../platform/queue/queue.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { ConnectionAdminService } from '../connectors';
import { ConnectionLeases } from '../connectors';
import { NotificationListener } from '../../platform/database/notification-listener';
import { isDatabaseUnavailable } from '../../platform/database/database-unavailable';
import { ConnectionDrain } from './connection-drain';
import { DeliveryRepository } from './delivery.repository';
import { ProcessorConfirmations } from './processor-confirmations.service';
import { PropagationKicker } from './propagation.kicker';
import {
  LEASE_SECONDS,
  PROPAGATION_CHANNEL,
  PROPAGATION_DRAIN_QUEUE,
  PROPAGATION_MAINTENANCE_QUEUE,
  type DrainJob,
} from './propagation.constants';

/**
 * Applies deliveries at their connections. One process at a time drains a connection (a lease on the
 * connection row), so pacing to the vendor's limit is exact and changes of one person are never applied
 * out of order. Kicks arrive by NOTIFY, by drain job, when a connection resumes and every minute; a kick
 * for a connection already draining here runs it again when the drain ends. Deliveries a crashed worker left in progress are taken
 * back when the lease is re-taken.
 */
@Injectable()
export class PropagationWorker implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PropagationWorker.name);
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private stopping = false;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly leases: ConnectionLeases,
    private readonly admin: ConnectionAdminService,
    private readonly drainer: ConnectionDrain,
    private readonly confirmations: ProcessorConfirmations,
    private readonly kicker: PropagationKicker,
    private readonly jobs: QueueService,
    private readonly metrics: MetricsService,
    private readonly listener: NotificationListener,
    private readonly clock: Clock,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  async onModuleInit(): Promise<void> {
    // A resumed connection's held-back work is due: in whichever process took the request.
    this.admin.onResumed((connectionId) => this.kicker.kick(connectionId));
    await this.kicker.startQueues();
    this.metrics.deliveriesQueued.reset();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.roles.worker) return;
    this.listener.on(PROPAGATION_CHANNEL, (payload) =>
      payload
        .split(',')
        .filter(Boolean)
        .forEach((id) => this.kick(id)),
    );
    // Wake-ups notified while the LISTEN connection was down were missed: look for due work again.
    this.listener.onRestored(() => {
      this.kickAll().catch((error: Error) =>
        this.logger.warn({ err: { message: error.message } }, 'could not look for due work'),
      );
    });
    await this.jobs.work<DrainJob>(
      PROPAGATION_DRAIN_QUEUE,
      { batchSize: 20, pollingIntervalSeconds: 1 },
      async (jobs) => {
        for (const job of jobs) this.kick(job.data.connectionId);
      },
    );
    await this.jobs.work(PROPAGATION_MAINTENANCE_QUEUE, { pollingIntervalSeconds: 30 }, async () => {
      await this.confirmations.settleOverdue();
      await this.kickAll();
    });
    await this.jobs.boss.schedule(PROPAGATION_MAINTENANCE_QUEUE, '* * * * *');
    await this.kickAll();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Kicks every connection with due or orphaned deliveries (start-up and every minute). */
  async kickAll(): Promise<void> {
    (await this.deliveries.connectionsWithOpenWork()).forEach((id) => this.kick(id));
  }

  /** Makes sure this process drains the connection soon, unless another process holds its lease. */
  kick(connectionId: string): void {
    if (this.stopping) return;
    if (this.running.has(connectionId)) {
      this.again.add(connectionId);
      return;
    }
    const run = this.run(connectionId)
      .catch((error: Error) => {
        if (!isDatabaseUnavailable(error)) {
          this.logger.error({ connectionId, err: { message: error.message } }, 'drain failed');
          return;
        }
        // The database went away mid-drain: try again soon; the lease is ours to take back, and what was
        // in progress under it is taken back with it (ConnectionDrain.drain).
        this.logger.warn({ connectionId, err: { message: error.message } }, 'drain interrupted; retrying');
        setTimeout(() => this.kick(connectionId), 2_000).unref();
      })
      .finally(() => this.running.delete(connectionId));
    this.running.set(connectionId, run);
  }

  private async run(connectionId: string): Promise<void> {
    for (;;) {
      this.again.delete(connectionId);
      const lease = await this.leases.acquire(connectionId, this.owner, LEASE_SECONDS);
      if (!lease.acquired) {
        // Someone else drains it; if they died, come back when their lease runs out.
        if (lease.until) await this.kicker.kickAt(connectionId, new Date(lease.until.getTime() + 500));
        return;
      }
      let outcome: 'drained' | 'paused';
      try {
        outcome = await this.drainer.drain(connectionId, this.owner, () => this.stopping);
      } finally {
        await this.leases.release(connectionId, this.owner);
      }
      // A paused connection keeps its consent updates until it is resumed (which kicks it again); its request
      // deliveries' retries are still due.
      if (outcome === 'paused') {
        await this.scheduleNextRetry(connectionId, true);
        return;
      }
      // Released first, checked second: a kick refused while we held the lease is not lost.
      if (this.stopping || !(this.again.has(connectionId) || (await this.deliveries.hasDue(connectionId))))
        break;
    }
    await this.scheduleNextRetry(connectionId);
  }

  private async scheduleNextRetry(connectionId: string, requestsOnly = false): Promise<void> {
    const at = await this.deliveries.nextDueAt(connectionId, requestsOnly);
    if (at && !this.stopping)
      await this.kicker.kickAt(connectionId, new Date(Math.max(at.getTime(), this.clock.now() + 200)));
  }
}
