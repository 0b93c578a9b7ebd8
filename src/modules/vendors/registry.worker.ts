import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { QueueService } from '../../platform/queue/queue.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { DpaGate } from './dpa-gate';

export const REGISTRY_RELEASE_QUEUE = 'registry.release-held';

/**
 * An agreement can become valid without anyone touching it (its effective date arrives): held deliveries
 * are checked for release every ten minutes, besides at once when a DPA is recorded.
 */
@Injectable()
export class RegistryWorker implements OnApplicationBootstrap {
  constructor(
    private readonly gate: DpaGate,
    private readonly jobs: QueueService,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.roles.worker) return;
    await this.jobs.start([{ name: REGISTRY_RELEASE_QUEUE, retryLimit: 0, expireInSeconds: 300 }]);
    await this.jobs.work(REGISTRY_RELEASE_QUEUE, { pollingIntervalSeconds: 60 }, async () => {
      await this.gate.releaseAll();
    });
    await this.jobs.boss.schedule(REGISTRY_RELEASE_QUEUE, '*/10 * * * *');
  }
}
