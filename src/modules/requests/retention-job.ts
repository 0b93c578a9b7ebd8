import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { QueueService } from '../../platform/queue/queue.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { RetentionRunner } from './retention-runner';

/** Daily: file retention erasures. pg-boss runs one job per schedule slot, whichever worker takes it. */
export const RETENTION_QUEUE = 'requests.retention';
const DAILY_AT_0330_UTC = '30 3 * * *';

/** Runs the retention rule once a day in a process with the worker role. */
@Injectable()
export class RetentionJob implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(RetentionJob.name);

  constructor(
    private readonly runner: RetentionRunner,
    private readonly jobs: QueueService,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  async onModuleInit(): Promise<void> {
    // A run may meet thousands of people: an hour before pg-boss considers it lost.
    await this.jobs.start([{ name: RETENTION_QUEUE, retryLimit: 1, expireInSeconds: 3600 }]);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.roles.worker) return;
    await this.jobs.work(RETENTION_QUEUE, { pollingIntervalSeconds: 60 }, async () => {
      const { requested, failed } = await this.runner.run();
      if (failed) this.logger.warn({ requested, failed }, 'retention run left people for the next run');
    });
    await this.jobs.boss.schedule(RETENTION_QUEUE, DAILY_AT_0330_UTC, {}, { tz: 'UTC' });
  }
}
