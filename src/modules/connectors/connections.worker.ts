import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type PgBoss from 'pg-boss';
import { QueueService } from '../../platform/queue/queue.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { BACKFILL_QUEUE, BackfillService, type BackfillJob } from './backfill.service';
import { ChangePollService } from './change-poll.service';

export const SALESFORCE_POLL_QUEUE = 'connections.salesforce-poll';
const POLL_EVERY_MS = 30_000;

/** Worker side of connections: backfill runs and the Salesforce change poll. */
@Injectable()
export class ConnectionsWorker implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ConnectionsWorker.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly jobs: QueueService,
    private readonly backfills: BackfillService,
    private readonly polls: ChangePollService,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.jobs.start([
      { name: BACKFILL_QUEUE, retryLimit: 10, retryDelay: 5, retryBackoff: true, expireInSeconds: 3600 },
      { name: SALESFORCE_POLL_QUEUE, retryLimit: 0, expireInSeconds: 300, policy: 'short' },
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
    await this.jobs.work(SALESFORCE_POLL_QUEUE, { pollingIntervalSeconds: 5 }, () => this.polls.pollAll());
    // A short-policy queue keeps at most one poll waiting, however many processes tick.
    this.timer = setInterval(() => {
      this.jobs
        .send(SALESFORCE_POLL_QUEUE, {}, { singletonKey: 'poll' })
        .catch((error: Error) =>
          this.logger.warn({ err: { message: error.message } }, 'cannot schedule the Salesforce poll'),
        );
    }, POLL_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
