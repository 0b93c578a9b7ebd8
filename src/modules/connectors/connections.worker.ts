import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type PgBoss from 'pg-boss';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { QueueService } from '../../platform/queue/queue.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { BACKFILL_QUEUE, BackfillService, type BackfillJob } from './backfill.service';
import { ChangePollService } from './change-poll.service';

/** One queue for every CRM's poll (it was Salesforce's alone, as connections.salesforce-poll). */
export const CRM_POLL_QUEUE = 'connections.crm-poll';

/** Worker side of connections: backfill runs and the CRM change polls (every CRM_POLL_INTERVAL_SECONDS). */
@Injectable()
export class ConnectionsWorker implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ConnectionsWorker.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly jobs: QueueService,
    private readonly backfills: BackfillService,
    private readonly polls: ChangePollService,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.jobs.start([
      { name: BACKFILL_QUEUE, retryLimit: 10, retryDelay: 5, retryBackoff: true, expireInSeconds: 3600 },
      { name: CRM_POLL_QUEUE, retryLimit: 0, expireInSeconds: 300, policy: 'short' },
    ]);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.roles.worker) return;
    await this.jobs.work<BackfillJob>(
      BACKFILL_QUEUE,
      { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: 1 },
      async ([job]) => {
        try {
          await this.backfills.run(job.data.runId);
        } catch (error) {
          const meta = job as PgBoss.JobWithMetadata<BackfillJob>;
          if (meta.retryCount >= meta.retryLimit)
            await this.backfills.markFailed(job.data.runId, (error as Error).message);
          throw error;
        }
      },
    );
    await this.jobs.work(CRM_POLL_QUEUE, { pollingIntervalSeconds: 5 }, () => this.polls.pollAll());
    // A short-policy queue keeps at most one poll waiting, however many processes tick.
    this.timer = setInterval(() => {
      this.jobs
        .send(CRM_POLL_QUEUE, {}, { singletonKey: 'poll' })
        .catch((error: Error) =>
          this.logger.warn({ err: { message: error.message } }, 'cannot schedule the CRM poll'),
        );
    }, this.config.crmPollIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
