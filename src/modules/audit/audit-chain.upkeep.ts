import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { QueueService } from '../../platform/queue/queue.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { AUDIT_CHAIN_KEYS, type AuditChainKeys } from './audit-chain-key';
import { AuditVerifier, type ChainReport } from './audit-verifier';

/** After a write, how long to gather further writes before chaining them in one batch. */
const KICK_DELAY_MS = 50;
/** Safety net for entries no kick reached (a process that stopped before chaining its own). */
const TICK_MS = 5_000;
export const AUDIT_FULL_VERIFY_QUEUE = 'audit.full-verify';
export const AUDIT_ANCHOR_QUEUE = 'audit.anchor';
const DAILY_AT_0415_UTC = '15 4 * * *';
const HOURLY = '0 * * * *';

/**
 * Keeps the chain current in the background: entries are chained (and the checkpoint advanced) shortly after
 * they are written, in whichever process wrote them; the worker walks the whole chain daily and logs an anchor
 * of the head every hour, so the log itself holds anchors an editor of the database cannot change.
 */
@Injectable()
export class AuditChainUpkeep implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AuditChainUpkeep.name);
  private kickTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** The break last logged, so a broken chain is reported once, not on every run. */
  private lastBreak: string | null = null;

  constructor(
    private readonly verifier: AuditVerifier,
    private readonly jobs: QueueService,
    @Inject(AUDIT_CHAIN_KEYS) private readonly keys: AuditChainKeys,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.jobs.start([
      { name: AUDIT_FULL_VERIFY_QUEUE, retryLimit: 1, expireInSeconds: 3600 },
      { name: AUDIT_ANCHOR_QUEUE, retryLimit: 0, expireInSeconds: 300, policy: 'short' },
    ]);
  }

  async onApplicationBootstrap(): Promise<void> {
    // The CLI (no role) only chains what it writes itself (kick); serving processes keep the chain current.
    if (!this.roles.api && !this.roles.worker) return;
    this.logger.log({ key: this.keys.source }, 'audit chain key in use');
    this.tickTimer = setInterval(() => this.kick(), TICK_MS);
    this.tickTimer.unref();
    this.kick();
    if (!this.roles.worker) return;
    await this.jobs.work(AUDIT_FULL_VERIFY_QUEUE, { pollingIntervalSeconds: 60 }, async () => {
      this.report(await this.verifier.full());
    });
    await this.jobs.work(AUDIT_ANCHOR_QUEUE, { pollingIntervalSeconds: 60 }, async () => {
      // No personal data: a place, a hash, a time and a MAC.
      this.logger.log({ anchor: await this.verifier.anchor() }, 'audit chain anchor');
    });
    await this.jobs.boss.schedule(AUDIT_FULL_VERIFY_QUEUE, DAILY_AT_0415_UTC, {}, { tz: 'UTC' });
    await this.jobs.boss.schedule(AUDIT_ANCHOR_QUEUE, HOURLY, {}, { tz: 'UTC' });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.kickTimer) clearTimeout(this.kickTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    await this.running;
  }

  /** Chains soon; writes arriving meanwhile are chained in the same run. */
  kick(): void {
    if (this.stopped || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = null;
      void this.run();
    }, KICK_DELAY_MS);
    this.kickTimer.unref();
  }

  private async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          this.report(await this.verifier.incremental());
        } catch (error) {
          if (!this.stopped)
            this.logger.warn(
              { err: { message: (error as Error).message } },
              'audit chaining failed; retried',
            );
        }
      } while (this.again && !this.stopped);
    })();
    await this.running;
    this.running = null;
  }

  private report(report: ChainReport): void {
    if (report.valid) return;
    const key = `${report.mode}:${report.reason}:${report.first_broken_seq}`;
    if (key === this.lastBreak) return;
    this.lastBreak = key;
    const { mode, reason, first_broken_seq, broken_entry_id, checked } = report;
    this.logger.error(
      { mode, reason, first_broken_seq, broken_entry_id, checked },
      'audit chain does not verify',
    );
  }
}
