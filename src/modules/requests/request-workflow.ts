import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../platform/clock/clock';
import { ConnectionDirectory } from '../connectors';
import {
  type ForgetReport,
  LedgerService,
  type SubjectForgottenHook,
  SubjectErasureService,
  SubjectRectificationService,
  SubjectRestrictionService,
} from '../ledger';
import {
  RequestDeliveries,
  type PlannedRequestDelivery,
  type PlanRequestInput,
  type RequestDeliveryView,
  type SettledRequestDelivery,
} from '../propagation';
import { RecipientDirectory, VendorDirectory } from '../vendors';
import type { DataSubjectRequestEntity } from './entities/data-subject-request.entity';
import { RequestAnnouncements, type RequestAnnouncement } from './request-announcements';
import { RequestHistoryRepository, type HistoryEntry } from './request-history.repository';
import { RequestIdentifiers, requestPlace } from './request-identifier';
import { RequestPolicy } from './request-policy';
import { RequestRepository, type RequestWrite } from './request.repository';
import { RequestTaskRepository, type NewTask } from './request-task.repository';
import { GATEWAY_ACTOR, operationOf, type RequestOperation, type StatusReason } from './requests.types';

/** Delivery statuses that end a delivery's part in a request. */
const SETTLED = new Set(['succeeded', 'skipped', 'dead']);

/** Operations whose dead deliveries become manual tasks: the recipient must still be told (Art. 19). */
const TASK_WHEN_DEAD = new Set<RequestOperation>(['erasure', 'restriction', 'rectification']);

/**
 * What a request does once the person's identity is settled, and how it ends: the ledger's part (erasure mark,
 * restriction, rectification, objection), one delivery per processor (RequestDeliveries), manual tasks for the
 * processors no API reaches, and completion once every processor has settled and every task is done. Everything
 * runs in the caller's transaction, the request row locked.
 */
@Injectable()
export class RequestWorkflow implements OnModuleInit {
  constructor(
    private readonly requests: RequestRepository,
    private readonly history: RequestHistoryRepository,
    private readonly tasks: RequestTaskRepository,
    private readonly deliveries: RequestDeliveries,
    private readonly erasure: SubjectErasureService,
    private readonly restriction: SubjectRestrictionService,
    private readonly rectification: SubjectRectificationService,
    private readonly ledger: LedgerService,
    private readonly recipients: RecipientDirectory,
    private readonly vendors: VendorDirectory,
    private readonly connections: ConnectionDirectory,
    private readonly identifiers: RequestIdentifiers,
    private readonly announcements: RequestAnnouncements,
    private readonly policy: RequestPolicy,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.deliveries.onSettled((manager, settled) => this.onDeliverySettled(manager, settled));
    // The person is forgotten (by this module's erasure or any other path): what identifies them goes.
    const forgetRequests: SubjectForgottenHook = async (manager, subjectId) => {
      const ids = await this.requests.forgetSubject(manager, subjectId);
      await this.tasks.forgetEvidence(manager, ids);
    };
    this.erasure.onSubjectForgotten(forgetRequests);
    this.ledger.onSubjectsMerged((manager, merge) =>
      this.requests.repoint(manager, merge.survivorId, merge.mergedIds),
    );
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  private record(
    manager: EntityManager,
    requestId: string,
    action: string,
    detail: Record<string, unknown> = {},
    actor = GATEWAY_ACTOR,
  ) {
    const entry: HistoryEntry = { requestId, action, actor, detail, at: this.now() };
    return this.history.append(manager, [entry]);
  }

  /** Announces to automation platforms, with the person's contact while the request still holds it. */
  async announce(
    manager: EntityManager,
    type: RequestAnnouncement,
    request: DataSubjectRequestEntity,
  ): Promise<void> {
    await this.announcements.announce(manager, type, {
      id: request.id,
      type: request.type,
      status: request.status,
      due_at: request.dueAt.toISOString(),
      subject_id: request.subjectId,
      contact: this.identifiers.contactOf(
        request.identifierKind,
        request.identifierCiphertext,
        request.identifierKeyId,
        requestPlace('identifier_ciphertext', request.id),
      ),
    });
  }

  /**
   * The identity is settled: the request is in progress. Does the ledger's part, plans a delivery per processor
   * and opens tasks for the ones no API reaches; completes at once when there is nobody to wait for.
   */
  async start(manager: EntityManager, request: DataSubjectRequestEntity, actor: string): Promise<void> {
    const subjectId = request.subjectId;
    if (!subjectId) throw new Error(`request ${request.id} has no person to act on`);
    await this.setStatus(manager, request, 'in_progress', null);
    await this.record(manager, request.id, 'in_progress', {}, actor);
    const operation = operationOf(request.type);
    if (request.type === 'objection') {
      const { eventIds } = await this.ledger.recordObjection(manager, subjectId, {
        requestId: request.id,
        capturedAt: request.receivedAt,
        receivedAt: this.now(),
      });
      await this.requests.update(manager, request.id, { eventIds });
      request.eventIds = eventIds;
      await this.record(manager, request.id, 'objection_recorded', { events: eventIds.length });
      await this.complete(manager, request, 'objection_recorded');
      return;
    }
    if (!operation) return;
    let rectification: PlanRequestInput['rectification'];
    switch (request.type) {
      case 'erasure':
        await this.erasure.markErasureRequested(manager, subjectId);
        await this.record(manager, request.id, 'erasure_marked', { check_answers: 'erased' });
        break;
      case 'restriction': {
        const changed = await this.restriction.setRestricted(manager, subjectId, !request.lift);
        await this.record(manager, request.id, request.lift ? 'restriction_lifted' : 'restriction_set', {
          changed,
        });
        break;
      }
      case 'rectification': {
        const changes = this.changesOf(request);
        rectification = await this.rectification.rectify(manager, subjectId, changes);
        await this.record(manager, request.id, 'rectified', { fields: Object.keys(changes).sort() });
        break;
      }
      case 'access':
        break;
    }
    const planned: PlannedRequestDelivery[] = await this.deliveries.plan(manager, {
      requestId: request.id,
      subjectId,
      operation,
      ...(rectification ? { rectification } : {}),
    });
    await this.record(manager, request.id, 'deliveries_planned', {
      operation,
      deliveries: planned.length,
      connection_ids: planned.map((p) => p.connectionId),
    });
    const manual = TASK_WHEN_DEAD.has(operation)
      ? await this.unreachableRecipients(manager, request, operation)
      : 0;
    if (planned.length === 0 && manual === 0) {
      await this.complete(manager, request, 'processors_settled');
      return;
    }
    await this.setStatus(manager, request, 'waiting_on_processors', null);
    await this.record(manager, request.id, 'waiting_on_processors', {
      deliveries: planned.length,
      tasks: manual,
    });
  }

  /** The rectification's corrected values, opened. */
  changesOf(request: DataSubjectRequestEntity): { phone?: string; email?: string } {
    const text = this.identifiers.openText(
      request.changesCiphertext,
      request.changesKeyId,
      requestPlace('changes_ciphertext', request.id),
    );
    return text ? (JSON.parse(text) as { phone?: string; email?: string }) : {};
  }

  /**
   * Registry recipients of a processing activity with no connection at all: the gateway cannot reach them, so
   * the DPO must (one task each). Answers how many tasks were opened.
   */
  private async unreachableRecipients(
    manager: EntityManager,
    request: DataSubjectRequestEntity,
    operation: RequestOperation,
  ): Promise<number> {
    const recipients = await this.recipients.activityRecipients();
    const unreached: NewTask[] = [];
    for (const vendor of recipients) {
      if ((await this.connections.ofVendor(vendor.vendorId)).length > 0) continue;
      unreached.push({
        requestId: request.id,
        operation,
        reason: 'no_api_connection',
        vendorId: vendor.vendorId,
        connectionId: null,
        deliveryId: null,
        processorName: vendor.name,
        nextReminderAt: this.policy.nextReminderAfter(this.now()),
      });
    }
    const added = await this.tasks.addMissing(manager, unreached);
    if (added.length)
      await this.record(manager, request.id, 'tasks_opened', {
        reason: 'no_api_connection',
        task_ids: added,
        vendor_ids: unreached.map((t) => t.vendorId),
      });
    return added.length;
  }

  /** A request delivery ended (in propagation's transaction): a dead one becomes a task; the request may complete. */
  async onDeliverySettled(manager: EntityManager, settled: SettledRequestDelivery): Promise<void> {
    if (!settled.requestId) return;
    const request = await this.requests.lock(manager, settled.requestId);
    if (!request) return;
    await this.record(manager, request.id, 'delivery_settled', {
      delivery_id: settled.deliveryId,
      connection_id: settled.connectionId,
      status: settled.status,
      reason: settled.reason,
      flags: settled.flags,
    });
    if (settled.status === 'dead' && TASK_WHEN_DEAD.has(settled.operation)) {
      const connection = (await this.connections.byIds([settled.connectionId])).get(settled.connectionId);
      const vendorName = connection
        ? (await this.vendors.namesOf([connection.vendorId])).get(connection.vendorId)
        : undefined;
      const added = await this.tasks.addMissing(manager, [
        {
          requestId: request.id,
          operation: settled.operation,
          reason: 'delivery_dead',
          vendorId: connection?.vendorId ?? null,
          connectionId: settled.connectionId,
          deliveryId: settled.deliveryId,
          processorName: connection?.name ?? vendorName ?? 'unknown processor',
          nextReminderAt: this.policy.nextReminderAfter(this.now()),
        },
      ]);
      if (added.length)
        await this.record(manager, request.id, 'tasks_opened', {
          reason: 'delivery_dead',
          task_ids: added,
          delivery_id: settled.deliveryId,
        });
    }
    await this.advance(manager, request, settled);
  }

  /**
   * Completes a request waiting on processors once every delivery has settled and every task is done. `justSettled`
   * is a delivery settled in this very transaction (the read of the request's deliveries cannot see it yet).
   */
  async advance(
    manager: EntityManager,
    request: DataSubjectRequestEntity,
    justSettled?: Pick<SettledRequestDelivery, 'deliveryId'>,
  ): Promise<boolean> {
    if (request.status !== 'waiting_on_processors') return false;
    const deliveries = await this.deliveries.forRequest(request.id);
    const pending = deliveries.filter((d) => d.id !== justSettled?.deliveryId && !SETTLED.has(d.status));
    if (pending.length > 0) return false;
    const tasks = await this.tasks.of([request.id], manager);
    if (tasks.some((t) => t.status === 'open')) return false;
    await this.complete(manager, request, 'processors_settled');
    return true;
  }

  /** Ends the request as completed; an erasure first makes the gateway forget the person. */
  async complete(
    manager: EntityManager,
    request: DataSubjectRequestEntity,
    reason: StatusReason,
  ): Promise<void> {
    if (request.type === 'erasure' && request.subjectId) {
      const report: ForgetReport = await this.erasure.forget(manager, request.subjectId, request.id);
      await this.record(manager, request.id, 'forgotten', { ...report });
      // The forget hook above cleared the request's sealed identifier; reflect it in the row at hand.
      request.identifierCiphertext = null;
      request.identifierKeyId = null;
    }
    const now = this.now();
    await this.setStatus(manager, request, 'completed', reason, { completedAt: now, closedAt: now });
    await this.record(manager, request.id, 'completed', { status_reason: reason });
    // An access request keeps what the CRMs returned until its export window closes (RequestSweep).
    if (request.type !== 'access') await this.clearPayloads(manager, request);
    await this.announce(manager, 'request.completed', request);
  }

  /** The personal values the request's deliveries carried (corrected identifiers, CRM data read) go. */
  async clearPayloads(manager: EntityManager, request: DataSubjectRequestEntity): Promise<void> {
    if (request.payloadsClearedAt) return;
    await this.deliveries.clearPayloads(manager, request.id);
    const now = this.now();
    await this.requests.update(manager, request.id, { payloadsClearedAt: now });
    request.payloadsClearedAt = now;
    await this.record(manager, request.id, 'payloads_cleared');
  }

  async setStatus(
    manager: EntityManager,
    request: DataSubjectRequestEntity,
    status: DataSubjectRequestEntity['status'],
    reason: StatusReason | null,
    more: RequestWrite = {},
  ): Promise<void> {
    await this.requests.update(manager, request.id, { status, statusReason: reason, ...more });
    Object.assign(request, { status, statusReason: reason, ...more });
  }

  /** The processors of a request as the API shows them: its deliveries (an objection's consent updates). */
  processorDeliveries(request: DataSubjectRequestEntity, withData = false): Promise<RequestDeliveryView[]> {
    if (request.type === 'objection') return this.deliveries.forEvents(request.eventIds);
    return this.deliveries.forRequest(request.id, { withData });
  }
}
