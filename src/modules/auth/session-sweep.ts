import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { SessionService } from './session.service';

/** How often ended sessions are deleted: a session is unusable at once, its row (IP, user agent) soon after. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Deletes ended console sessions in worker processes. One idempotent DELETE, so several workers sweeping
 * at once need no coordination (no queue job, unlike the requests sweep).
 */
@Injectable()
export class SessionSweep implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SessionSweep.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sessions: SessionService,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.roles.worker) return;
    // At start too: sessions that ended while no worker ran go at once, not an interval later.
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async sweep(): Promise<void> {
    try {
      const deleted = await this.sessions.deleteEnded();
      if (deleted) this.logger.debug({ deleted }, 'ended console sessions deleted');
    } catch (error) {
      this.logger.warn({ err: { message: (error as Error).message } }, 'console session sweep failed');
    }
  }
}
