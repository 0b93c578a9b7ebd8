import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { QueueService } from '../../platform/queue/queue.service';
import { NotificationListener } from '../../platform/database/notification-listener';
import {
  INBOX_CHANNEL,
  INBOX_MAINTENANCE_QUEUE,
  INBOX_PROCESS_QUEUE,
  type InboxProcessJob,
} from './inbox.constants';
import { InboxService } from './inbox.service';

/**
 * The worker side of the inbox, started only in processes with the worker role. It is woken by NOTIFY as
 * soon as a delivery commits, polls as a fallback, and sweeps up deliveries whose job was lost.
 */
@Injectable()
export class InboxWorker implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(InboxWorker.name);

  constructor(
    private readonly inbox: InboxService,
    private readonly jobs: QueueService,
    private readonly listener: NotificationListener,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  /** Queues exist in every role: the API enqueues into them inside its intake transaction. */
  async onModuleInit(): Promise<void> {
    await this.jobs.start([
      { name: INBOX_PROCESS_QUEUE, retryLimit: 20, retryDelay: 1, retryBackoff: true, expireInSeconds: 120 },
      { name: INBOX_MAINTENANCE_QUEUE, retryLimit: 0, expireInSeconds: 300 },
    ]);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.roles.worker) return;
    this.listener.on(INBOX_CHANNEL, () => this.jobs.wake(INBOX_PROCESS_QUEUE));
    await this.jobs.work<InboxProcessJob>(
      INBOX_PROCESS_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: 2 },
      async ([job]) => this.inbox.processJob(job.data),
      // Deliveries are independent (the ledger orders a person's events by when they were captured and
      // serialises writers per person), so several are processed at once.
      4,
    );
    await this.jobs.work(INBOX_MAINTENANCE_QUEUE, { pollingIntervalSeconds: 30 }, async () => {
      await this.inbox.sweep();
      const purged = await this.inbox.purge();
      if (purged) this.logger.log({ purged }, 'purged raw bodies past retention');
    });
    await this.jobs.boss.schedule(INBOX_MAINTENANCE_QUEUE, '* * * * *');
    // Whatever a previous process acknowledged but did not finish is picked up now, not in a minute.
    await this.inbox.sweep(0);
  }
}
