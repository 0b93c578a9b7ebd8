import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../platform/clock/clock';
import { extensionRefusal, storedDueAt, type ExtensionRefusal, type PauseSpan } from './deadlines';
import type { DataSubjectRequestEntity } from './entities/data-subject-request.entity';
import { RequestIdentifiers, requestPlace, taskEvidencePlace } from './request-identifier';
import { RequestPolicy } from './request-policy';
import { RequestService } from './request.service';
import { RequestTaskRepository } from './request-task.repository';
import { RequestWorkflow } from './request-workflow';
import { RequestRepository } from './request.repository';
import {
  ExtensionRefusedError,
  PauseRefusedError,
  RequestNotFoundError,
  RequestTaskNotFoundError,
  RequestWrongStatusError,
} from './requests.errors';
import { OPEN_STATUSES as OPEN, type RequestStatus } from './requests.types';

const EXTENSION_FIELD: Record<ExtensionRefusal, { field: string; message: string }> = {
  months_invalid: { field: 'months', message: 'must be 1 or 2' },
  too_many_months: { field: 'months', message: 'would extend beyond two further months in all' },
  first_month_over: {
    field: 'months',
    message: 'an extension is only possible within the first month after receipt',
  },
  notified_in_future: { field: 'subject_notified_at', message: 'must not be in the future' },
  notified_before_receipt: {
    field: 'subject_notified_at',
    message: 'must not be before the request was received',
  },
};

/**
 * What a DPO (or a key with the scope) does to a request: verify the identity, extend the deadline, pause and
 * resume the clock, deny, cancel, complete a manual task. Each locks the request, checks its status, records the
 * step in its history, and answers the request's id (the controller answers its view).
 */
@Injectable()
export class RequestActions {
  constructor(
    private readonly requests: RequestRepository,
    private readonly tasks: RequestTaskRepository,
    private readonly service: RequestService,
    private readonly workflow: RequestWorkflow,
    private readonly identifiers: RequestIdentifiers,
    private readonly policy: RequestPolicy,
    private readonly clock: Clock,
  ) {}

  private now(): Date {
    return new Date(this.clock.now());
  }

  /** Runs `work` on the locked request, refusing statuses it does not accept. */
  private async onRequest(
    id: string,
    accepted: readonly RequestStatus[],
    action: string,
    work: (manager: EntityManager, request: DataSubjectRequestEntity) => Promise<void>,
  ): Promise<string> {
    await this.requests.inTransaction(async (manager) => {
      const request = await this.requests.lock(manager, id);
      if (!request) throw new RequestNotFoundError(`No request ${id}`);
      if (!accepted.includes(request.status))
        throw new RequestWrongStatusError(`A request that is ${request.status} cannot be ${action}.`, [
          { field: 'status', message: `is ${request.status}` },
        ]);
      await work(manager, request);
    });
    return id;
  }

  private async pauses(manager: EntityManager, requestId: string): Promise<PauseSpan[]> {
    const rows = await this.requests.pausesOf([requestId], manager);
    return rows.map((p) => ({ from: p.pausedAt, to: p.resumedAt }));
  }

  /** The identity is verified: the clock runs again (if it was paused) and the request starts. */
  verify(id: string, input: { method: string; note?: string | null }, actor: string): Promise<string> {
    return this.onRequest(id, ['received', 'identity_verification'], 'verified', async (manager, request) => {
      const now = this.now();
      if (request.pausedSince) await this.resumeClock(manager, request, actor, 'identity_verified');
      const note = input.note
        ? this.identifiers.sealText(input.note, requestPlace('verification_note_ciphertext', request.id))
        : null;
      await this.requests.update(manager, request.id, {
        verificationMethod: input.method,
        verificationNoteCiphertext: note?.ciphertext ?? null,
        verificationNoteKeyId: note?.keyId ?? null,
        verifiedBy: actor,
        verifiedAt: now,
      });
      await this.service.record(manager, request.id, 'verified', actor, { method: input.method });
      await this.workflow.start(manager, request, actor);
    });
  }

  /** Art. 12(3): one or two further months in all, within the first month, the person told why. */
  extend(
    id: string,
    input: { months: number; reason: string; subjectNotifiedAt: Date },
    actor: string,
  ): Promise<string> {
    return this.onRequest(id, OPEN, 'extended', async (manager, request) => {
      const now = this.now();
      const facts = {
        receivedAt: request.receivedAt,
        extensionMonths: request.extensionMonths,
        pauses: await this.pauses(manager, request.id),
      };
      const refusal = extensionRefusal(facts, input.months, input.subjectNotifiedAt, now);
      if (refusal) {
        const problem = EXTENSION_FIELD[refusal];
        throw new ExtensionRefusedError(
          `The deadline cannot be extended: ${problem.field} ${problem.message}.`,
          [problem],
        );
      }
      const extensionMonths = request.extensionMonths + input.months;
      await this.requests.update(manager, request.id, {
        extensionMonths,
        extensionReason: input.reason,
        extensionSubjectNotifiedAt: input.subjectNotifiedAt,
        extendedAt: now,
        dueAt: storedDueAt({ ...facts, extensionMonths }),
        // The new deadline is announced as due soon again when it comes near.
        dueSoonAnnouncedAt: null,
      });
      await this.service.record(manager, request.id, 'extended', actor, {
        months: input.months,
        total_months: extensionMonths,
        subject_notified_at: input.subjectNotifiedAt.toISOString(),
      });
    });
  }

  /**
   * Stops the clock while the person is asked to prove who they are (the only wait the deadline allows for);
   * not once the deadline has passed.
   */
  pause(id: string, reason: string, actor: string): Promise<string> {
    return this.onRequest(id, ['received', 'identity_verification'], 'paused', async (manager, request) => {
      const now = this.now();
      if (request.pausedSince)
        throw new PauseRefusedError('The clock of this request is already paused.', [
          { field: 'status', message: 'is paused' },
        ]);
      if (request.dueAt.getTime() <= now.getTime())
        throw new PauseRefusedError('An overdue request cannot be paused.', [
          { field: 'due_at', message: 'has passed' },
        ]);
      await this.requests.insertPause(manager, {
        requestId: request.id,
        pausedAt: now,
        reason,
        pausedBy: actor,
      });
      await this.requests.update(manager, request.id, { pausedSince: now });
      await this.service.record(manager, request.id, 'paused', actor, {});
    });
  }

  resume(id: string, actor: string): Promise<string> {
    return this.onRequest(id, OPEN, 'resumed', async (manager, request) => {
      if (!request.pausedSince)
        throw new PauseRefusedError('The clock of this request is not paused.', [
          { field: 'status', message: 'is not paused' },
        ]);
      await this.resumeClock(manager, request, actor, 'resumed');
    });
  }

  private async resumeClock(
    manager: EntityManager,
    request: DataSubjectRequestEntity,
    actor: string,
    why: 'resumed' | 'identity_verified',
  ): Promise<void> {
    const now = this.now();
    const pausedSince = request.pausedSince ?? now;
    await this.requests.closePause(manager, request.id, now, actor);
    const dueAt = storedDueAt({
      receivedAt: request.receivedAt,
      extensionMonths: request.extensionMonths,
      pauses: await this.pauses(manager, request.id),
    });
    const stillSoon = dueAt.getTime() - now.getTime() <= this.policy.dueSoonDays * 86_400_000;
    await this.requests.update(manager, request.id, {
      pausedSince: null,
      dueAt,
      ...(stillSoon ? {} : { dueSoonAnnouncedAt: null }),
    });
    Object.assign(request, { pausedSince: null, dueAt });
    await this.service.record(manager, request.id, 'resumed', actor, {
      reason: why,
      paused_ms: now.getTime() - pausedSince.getTime(),
    });
  }

  /** Refuses the request (manifestly unfounded, excessive, identity not proven), with the reason. */
  deny(id: string, reason: string, actor: string): Promise<string> {
    return this.onRequest(id, OPEN, 'denied', async (manager, request) => {
      refuseIfErasureStarted(request);
      const now = this.now();
      const dispatched = await this.dispatched(request);
      await this.closeOpenPause(manager, request, actor);
      await this.workflow.setStatus(manager, request, 'denied', null, {
        denialReason: reason,
        closedAt: now,
      });
      await this.service.record(manager, request.id, 'denied', actor, dispatched);
      await this.workflow.clearPayloads(manager, request);
    });
  }

  /** Withdrawn (by the person, or recorded in error). What was already sent to processors is not called back. */
  cancel(id: string, reason: string | null, actor: string): Promise<string> {
    return this.onRequest(id, OPEN, 'cancelled', async (manager, request) => {
      refuseIfErasureStarted(request);
      const now = this.now();
      const dispatched = await this.dispatched(request);
      await this.closeOpenPause(manager, request, actor);
      await this.workflow.setStatus(manager, request, 'cancelled', null, {
        cancelReason: reason,
        closedAt: now,
      });
      await this.service.record(manager, request.id, 'cancelled', actor, dispatched);
      await this.workflow.clearPayloads(manager, request);
    });
  }

  private async closeOpenPause(manager: EntityManager, request: DataSubjectRequestEntity, actor: string) {
    if (!request.pausedSince) return;
    await this.requests.closePause(manager, request.id, this.now(), actor);
    await this.requests.update(manager, request.id, { pausedSince: null });
  }

  /** What had gone out already (a denial or cancellation stops nothing already sent: the history says so). */
  private async dispatched(request: DataSubjectRequestEntity): Promise<Record<string, unknown>> {
    if (request.status !== 'in_progress' && request.status !== 'waiting_on_processors') return {};
    const deliveries = await this.workflow.processorDeliveries(request);
    return { already_dispatched: deliveries.length, stops_nothing_already_sent: true };
  }

  /** A manual task is done: its evidence is kept (sealed, with its SHA-256), and the request may complete. */
  completeTask(
    id: string,
    taskId: string,
    input: { evidence: string; reference?: string | null },
    actor: string,
  ): Promise<string> {
    return this.onRequest(
      id,
      [...OPEN, 'completed', 'denied', 'cancelled'],
      'changed',
      async (manager, request) => {
        const task = await this.tasks.lock(manager, taskId);
        if (!task || task.requestId !== request.id)
          throw new RequestTaskNotFoundError(`No task ${taskId} on request ${id}`);
        if (task.status !== 'open')
          throw new RequestWrongStatusError('This task is already done.', [
            { field: 'status', message: 'is done' },
          ]);
        const sealed = this.identifiers.sealText(input.evidence, taskEvidencePlace(task.id));
        await this.tasks.update(manager, task.id, {
          status: 'done',
          evidenceCiphertext: sealed.ciphertext,
          evidenceKeyId: sealed.keyId,
          evidenceSha256: RequestIdentifiers.sha256Hex(input.evidence),
          reference: input.reference ?? null,
          completedBy: actor,
          completedAt: this.now(),
          nextReminderAt: null,
        });
        await this.service.record(manager, request.id, 'task_completed', actor, {
          task_id: task.id,
          processor: task.processorName,
          reference_given: Boolean(input.reference),
        });
        await this.workflow.advance(manager, request);
      },
    );
  }
}

/**
 * An erasure under way cannot be denied or cancelled: processors may have erased the person already and the check
 * answers erased; calling it back would leave the person half-erased. It completes, and a new relationship starts
 * only with the person's own new action.
 */
function refuseIfErasureStarted(request: DataSubjectRequestEntity): void {
  if (
    request.type === 'erasure' &&
    request.status !== 'received' &&
    request.status !== 'identity_verification'
  )
    throw new RequestWrongStatusError('An erasure that has started cannot be denied or cancelled.', [
      { field: 'status', message: `is ${request.status}: the erasure is under way` },
    ]);
}
