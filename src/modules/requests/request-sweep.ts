import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Clock } from '../../platform/clock/clock';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { QueueService } from '../../platform/queue/queue.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { RequestPolicy } from './request-policy';
import { RequestService } from './request.service';
import { RequestTaskRepository } from './request-task.repository';
import { RequestWorkflow } from './request-workflow';
import { RequestRepository } from './request.repository';
import { GATEWAY_ACTOR, isOpen } from './requests.types';

export const REQUEST_SWEEP_QUEUE = 'requests.sweep';
/** How often deadlines, reminders and waiting requests are looked at. */
const SWEEP_INTERVAL_MS = 5 * 60_000;
/** Requests (or tasks) handled per kind per sweep; the next sweep takes the rest. */
const BATCH = 200;
/** How long the CRM data read for an access request is kept for its export after completion. */
export const ACCESS_EXPORT_DAYS = 30;

export interface SweepReport {
  dueSoon: number;
  overdue: number;
  reminders: number;
  completed: number;
  exportsCleared: number;
}

/**
 * The requests' clockwork, on a pg-boss schedule (one sweep waiting at most, however many processes tick):
 * announces each request once as due soon and once as overdue, reminds the DPO of open manual tasks every
 * task_reminder_days, and completes waiting requests whose processors have all settled (a safety net behind the
 * settlement hook); clears the CRM data of access requests ACCESS_EXPORT_DAYS after completion. Also reads the
 * request gauges from the database at scrape time.
 */
@Injectable()
export class RequestSweep implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RequestSweep.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly requests: RequestRepository,
    private readonly tasks: RequestTaskRepository,
    private readonly service: RequestService,
    private readonly workflow: RequestWorkflow,
    private readonly policy: RequestPolicy,
    private readonly jobs: QueueService,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  async onModuleInit(): Promise<void> {
    this.registerGauges();
    await this.jobs.start([
      { name: REQUEST_SWEEP_QUEUE, retryLimit: 0, expireInSeconds: 300, policy: 'short' },
    ]);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.roles.worker) return;
    await this.jobs.work(REQUEST_SWEEP_QUEUE, { pollingIntervalSeconds: 5 }, async () => {
      await this.sweep();
    });
    this.timer = setInterval(() => {
      this.jobs
        .send(REQUEST_SWEEP_QUEUE, {}, { singletonKey: 'sweep' })
        .catch((error: Error) =>
          this.logger.warn({ err: { message: error.message } }, 'cannot schedule the requests sweep'),
        );
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async sweep(): Promise<SweepReport> {
    const now = new Date(this.clock.now());
    const report: SweepReport = { dueSoon: 0, overdue: 0, reminders: 0, completed: 0, exportsCleared: 0 };
    for (const id of await this.requests.dueSoonUnannounced(now, this.policy.dueSoonDays, BATCH))
      if (await this.announceDeadline(id, 'due_soon', now)) report.dueSoon++;
    for (const id of await this.requests.overdueUnannounced(now, BATCH))
      if (await this.announceDeadline(id, 'overdue', now)) report.overdue++;
    for (const id of await this.tasks.remindersDue(now, BATCH))
      if (await this.remind(id, now)) report.reminders++;
    for (const id of await this.requests.waitingOnProcessors(BATCH))
      if (
        await this.requests.inTransaction(async (m) => {
          const request = await this.requests.lock(m, id);
          return request ? this.workflow.advance(m, request) : false;
        })
      )
        report.completed++;
    const exportWindow = new Date(now.getTime() - ACCESS_EXPORT_DAYS * 86_400_000);
    for (const id of await this.requests.accessExportsToClear(exportWindow, BATCH)) {
      await this.requests.inTransaction(async (m) => {
        const request = await this.requests.lock(m, id);
        if (request) await this.workflow.clearPayloads(m, request);
      });
      report.exportsCleared++;
    }
    return report;
  }

  /** Once per request and kind; the row is re-read under its lock, so two sweeps never announce twice. */
  private announceDeadline(id: string, kind: 'due_soon' | 'overdue', now: Date): Promise<boolean> {
    return this.requests.inTransaction(async (manager) => {
      const request = await this.requests.lock(manager, id);
      if (!request || !isOpen(request.status) || request.pausedSince) return false;
      if (kind === 'due_soon' && request.dueSoonAnnouncedAt) return false;
      if (kind === 'overdue' && (request.overdueAnnouncedAt || request.dueAt.getTime() > now.getTime()))
        return false;
      await this.requests.update(
        manager,
        id,
        kind === 'due_soon' ? { dueSoonAnnouncedAt: now } : { overdueAnnouncedAt: now },
      );
      await this.service.record(manager, id, kind, GATEWAY_ACTOR, { due_at: request.dueAt.toISOString() });
      await this.workflow.announce(
        manager,
        kind === 'due_soon' ? 'request.due_soon' : 'request.overdue',
        request,
      );
      return true;
    });
  }

  private remind(taskId: string, now: Date): Promise<boolean> {
    return this.requests.inTransaction(async (manager) => {
      const task = await this.tasks.lock(manager, taskId);
      if (!task || task.status !== 'open' || !task.nextReminderAt || task.nextReminderAt > now) return false;
      const request = await this.requests.find(task.requestId, manager);
      if (!request) return false;
      await this.tasks.update(manager, task.id, {
        remindersSent: task.remindersSent + 1,
        nextReminderAt: this.policy.nextReminderAfter(now),
      });
      await this.service.record(manager, request.id, 'task_reminder', GATEWAY_ACTOR, {
        task_id: task.id,
        processor: task.processorName,
        reminder: task.remindersSent + 1,
      });
      await this.workflow.announce(manager, 'request.task_reminder', request);
      return true;
    });
  }

  /** cg_requests_open{status}, cg_requests_due_soon, cg_requests_overdue: read from the database at scrape. */
  private registerGauges(): void {
    const registers = [this.metrics.registry];
    const figures = () => this.requests.counts(new Date(this.clock.now()), this.policy.dueSoonDays);
    const open: Gauge = new Gauge({
      name: 'cg_requests_open',
      help: 'Data-subject requests not yet closed, by status.',
      labelNames: ['status'] as const,
      registers,
      collect: async (): Promise<void> => {
        open.reset();
        for (const row of await this.requests.openByStatus()) open.set({ status: row.status }, row.n);
      },
    });
    const dueSoon: Gauge = new Gauge({
      name: 'cg_requests_due_soon',
      help: 'Open data-subject requests due within the due-soon window (clock running).',
      registers,
      collect: async (): Promise<void> => dueSoon.set((await figures()).due_soon),
    });
    const overdue: Gauge = new Gauge({
      name: 'cg_requests_overdue',
      help: 'Open data-subject requests past their deadline (clock running).',
      registers,
      collect: async (): Promise<void> => overdue.set((await figures()).overdue),
    });
  }
}
