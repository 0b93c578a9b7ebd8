import { Injectable } from '@nestjs/common';
import { Clock } from '../../platform/clock/clock';
import { LedgerReader } from '../ledger';
import type { RequestDeliveryView } from '../propagation';
import { standing, type PauseSpan } from './deadlines';
import type {
  ProcessorRowResponse,
  RequestFiguresResponse,
  RequestPageResponse,
  RequestSummaryResponse,
  RequestViewResponse,
} from './dto/request.responses';
import type { DataSubjectRequestEntity } from './entities/data-subject-request.entity';
import type { RequestPauseEntity } from './entities/request-pause.entity';
import type { RequestTaskEntity } from './entities/request-task.entity';
import { RequestHistoryRepository } from './request-history.repository';
import { maskEmail, maskPhone, RequestIdentifiers, requestPlace } from './request-identifier';
import { RequestPolicy } from './request-policy';
import { RequestTaskRepository } from './request-task.repository';
import { RequestWorkflow } from './request-workflow';
import { RequestRepository, type RequestFilter } from './request.repository';
import { RequestInvalidError, RequestNotFoundError } from './requests.errors';
import { isOpen } from './requests.types';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** A page position: base64url of "received_at|id" of the last request shown. */
export function encodeCursor(request: Pick<DataSubjectRequestEntity, 'receivedAt' | 'id'>): string {
  return Buffer.from(`${request.receivedAt.toISOString()}|${request.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { receivedAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const receivedAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(receivedAt.getTime()))
    throw new RequestInvalidError('The cursor is not one this API gave out.', [
      { field: 'cursor', message: 'is not a next_cursor of this list' },
    ]);
  return { receivedAt, id };
}

/** One processor row from an API delivery. */
function deliveryRow(d: RequestDeliveryView): ProcessorRowResponse {
  return {
    kind: 'api',
    delivery_id: d.id,
    task_id: null,
    connection_id: d.connectionId,
    connection_name: d.connectionName,
    vendor_id: d.vendorId,
    vendor_name: d.vendorName,
    operation: d.operation,
    status: d.status,
    reason: d.reason ?? d.lastError,
    attempts: d.attempts,
    updated_at: iso(d.completedAt ?? d.startedAt ?? d.createdAt),
    completed_at: iso(d.completedAt),
    vendor_reference: d.vendorReference,
    evidence: d.evidence ?? {},
    flags: d.flags,
  };
}

/** One processor row from a manual task (its evidence stays sealed: only its digest and reference show). */
function taskRow(t: RequestTaskEntity, vendorName: string | null): ProcessorRowResponse {
  return {
    kind: 'manual',
    delivery_id: t.deliveryId,
    task_id: t.id,
    connection_id: t.connectionId,
    connection_name: null,
    vendor_id: t.vendorId,
    vendor_name: vendorName ?? t.processorName,
    operation: t.operation,
    status: t.status,
    reason: t.reason,
    attempts: 0,
    updated_at: iso(t.completedAt ?? t.createdAt),
    completed_at: iso(t.completedAt),
    vendor_reference: t.reference,
    evidence: {
      evidence_sha256: t.evidenceSha256,
      completed_by: t.completedBy,
      reminders_sent: t.remindersSent,
      next_reminder_at: iso(t.nextReminderAt),
    },
    flags: [],
  };
}

/** The requests API's answers: summaries with their deadline standing, full views, the overview figures. */
@Injectable()
export class RequestViews {
  constructor(
    private readonly requests: RequestRepository,
    private readonly history: RequestHistoryRepository,
    private readonly tasks: RequestTaskRepository,
    private readonly workflow: RequestWorkflow,
    private readonly identifiers: RequestIdentifiers,
    private readonly reader: LedgerReader,
    private readonly policy: RequestPolicy,
    private readonly clock: Clock,
  ) {}

  private now(): Date {
    return new Date(this.clock.now());
  }

  private async masked(r: DataSubjectRequestEntity): Promise<string | null> {
    const own = this.identifiers.masked(
      r.identifierKind,
      r.identifierCiphertext,
      r.identifierKeyId,
      requestPlace('identifier_ciphertext', r.id),
    );
    if (own) return own;
    // Made with a subject id (or by retention): the ledger shows one of the person's identifiers, masked.
    return r.subjectId && r.identifierKind === 'subject_id'
      ? this.reader.maskedIdentifier(r.subjectId)
      : null;
  }

  private summary(
    r: DataSubjectRequestEntity,
    pauses: readonly PauseSpan[],
    masked: string | null,
  ): RequestSummaryResponse {
    const open = isOpen(r.status);
    const s = standing(
      { receivedAt: r.receivedAt, extensionMonths: r.extensionMonths, pauses },
      this.now(),
      this.policy.dueSoonDays,
    );
    return {
      id: r.id,
      type: r.type,
      status: r.status,
      status_reason: r.statusReason,
      origin: r.origin,
      received_at: r.receivedAt.toISOString(),
      due_at: (open ? s.dueAt : r.dueAt).toISOString(),
      days_left: open ? s.daysLeft : null,
      due_soon: open && s.dueSoon,
      overdue: open && s.overdue,
      paused: open && s.paused,
      subject_masked: masked,
    };
  }

  private static spans(pauses: readonly RequestPauseEntity[], requestId: string): PauseSpan[] {
    return pauses
      .filter((p) => p.requestId === requestId)
      .map((p) => ({ from: p.pausedAt, to: p.resumedAt }));
  }

  async list(query: Omit<RequestFilter, 'after'> & { cursor?: string }): Promise<RequestPageResponse> {
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const rows = await this.requests.list({ ...query, limit: query.limit + 1, after }, this.now());
    const page = rows.slice(0, query.limit);
    const pauses = await this.requests.pausesOf(page.map((r) => r.id));
    const items = await Promise.all(
      page.map(async (r) => this.summary(r, RequestViews.spans(pauses, r.id), await this.masked(r))),
    );
    return { items, next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]) : null };
  }

  async get(id: string): Promise<RequestViewResponse> {
    const r = await this.requests.find(id);
    if (!r) throw new RequestNotFoundError(`No request ${id}`);
    const [pauseRows, history, tasks, deliveries, masked] = await Promise.all([
      this.requests.pausesOf([id]),
      this.history.of([id]),
      this.tasks.of([id]),
      r.subjectId ? this.workflow.processorDeliveries(r) : Promise.resolve([]),
      this.masked(r),
    ]);
    const changes = this.workflow.changesOf(r);
    return {
      ...this.summary(r, RequestViews.spans(pauseRows, id), masked),
      source: r.source,
      original_due_at: r.originalDueAt.toISOString(),
      extension: r.extensionMonths
        ? {
            months: r.extensionMonths,
            reason: r.extensionReason,
            subject_notified_at: iso(r.extensionSubjectNotifiedAt),
            extended_at: iso(r.extendedAt),
          }
        : null,
      pauses: pauseRows.map((p) => ({
        from: p.pausedAt.toISOString(),
        to: iso(p.resumedAt),
        reason: p.reason,
      })),
      verification: r.verificationMethod
        ? {
            method: r.verificationMethod,
            note: this.identifiers.openText(
              r.verificationNoteCiphertext,
              r.verificationNoteKeyId,
              requestPlace('verification_note_ciphertext', r.id),
            ),
            verified_by: r.verifiedBy,
            verified_at: iso(r.verifiedAt),
          }
        : null,
      subject_id: r.subjectId,
      matched: r.subjectId !== null,
      lift: r.lift,
      changes_masked: r.changesFields.length
        ? {
            ...(r.changesFields.includes('phone')
              ? { phone: changes.phone ? maskPhone(changes.phone) : null }
              : {}),
            ...(r.changesFields.includes('email')
              ? { email: changes.email ? maskEmail(changes.email) : null }
              : {}),
          }
        : null,
      denial_reason: r.denialReason,
      cancel_reason: r.cancelReason,
      duplicate_of: r.duplicateOf,
      completed_at: iso(r.completedAt),
      closed_at: iso(r.closedAt),
      created_by: r.createdBy,
      history: history.map((h) => ({
        at: h.at.toISOString(),
        action: h.action,
        actor: h.actor,
        detail: h.detail,
      })),
      processors: [...deliveries.map(deliveryRow), ...tasks.map((t) => taskRow(t, null))],
      export_available: this.exportAvailable(r),
    };
  }

  /** A completed access request whose person the gateway still holds. */
  exportAvailable(r: DataSubjectRequestEntity): boolean {
    return (
      r.payloadsClearedAt === null &&
      r.type === 'access' &&
      r.status === 'completed' &&
      r.statusReason === 'processors_settled' &&
      r.subjectId !== null
    );
  }

  figures(): Promise<RequestFiguresResponse> {
    return this.requests.counts(this.now(), this.policy.dueSoonDays);
  }
}
