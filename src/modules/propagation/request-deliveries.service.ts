import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  ConnectionDirectory,
  type ConnectionType,
  type OperationEvidence,
  RecordLinks,
  type RemotePersonRecord,
} from '../connectors';
import { SubjectErasureService } from '../ledger';
import { VendorDirectory } from '../vendors';
import type { DeliveryEntity } from './entities/delivery.entity';
import { PropagationKicker } from './propagation.kicker';
import type { DeliveryOperation, DeliveryStatus, RequestOperation } from './propagation.constants';
import { RequestDeliveryRepository } from './request-delivery.repository';
import { type IdentifierSet, payloadPlace, RequestPayloads } from './request-payload';
import { type SettledHook, SettleHooks } from './settle-hooks';

export interface PlannedRequestDelivery {
  deliveryId: string;
  connectionId: string;
  connectionName: string;
  vendorId: string | null;
}

/** One delivery as a request (and an access export) shows it: which processor, what, how far, with what proof. */
export interface RequestDeliveryView {
  id: string;
  requestId: string | null;
  subjectId: string;
  connectionId: string;
  connectionName: string;
  connectionType: ConnectionType;
  vendorId: string | null;
  vendorName: string | null;
  operation: DeliveryOperation;
  status: DeliveryStatus;
  reason: string | null;
  attempts: number;
  lastError: string | null;
  lastErrorClass: string | null;
  vendorReference: string | null;
  evidence: OperationEvidence;
  flags: string[];
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  confirmationDueAt: Date | null;
  /** access_export, when asked withData: what the vendor holds on the person. */
  data?: RemotePersonRecord[];
}

export interface PlanRequestInput {
  requestId: string;
  subjectId: string;
  operation: RequestOperation;
  /** Rectification: the identifiers replaced and the corrected ones (sealed on the deliveries). */
  rectification?: { previous: IdentifierSet; current: IdentifierSet };
}

/**
 * Art. 17-19 and 15 at every processor: the requests module plans one delivery per connection that holds or may
 * hold the person (every connection: paused ones, disconnected ones whose credentials are kept, and ones whose
 * vendor has no valid DPA), reads them back as each processor's progress and proof, and hears when each settles.
 * Records that come back after an erasure get the erasure again; a forgotten person's payloads are cleared.
 */
@Injectable()
export class RequestDeliveries implements OnModuleInit {
  constructor(
    private readonly directory: ConnectionDirectory,
    private readonly vendors: VendorDirectory,
    private readonly rows: RequestDeliveryRepository,
    private readonly payloads: RequestPayloads,
    private readonly settle: SettleHooks,
    private readonly kicker: PropagationKicker,
    private readonly links: RecordLinks,
    private readonly erasure: SubjectErasureService,
  ) {}

  onModuleInit(): void {
    this.links.onRecordsCameBack(async (manager, connectionId, records) => {
      await this.eraseCameBack(manager, connectionId, records);
    });
    // The rows stay as proof of what each processor was asked and answered; the values they carried go.
    this.erasure.onSubjectForgotten(async (manager, subjectId) => {
      await this.rows.clearPayloads(manager, { subjectId });
    });
  }

  /**
   * In the caller's transaction: one delivery per connection that may hold the person (a CRM deletion's own
   * connection too: the record may have duplicates there). The drains are kicked when it commits.
   */
  async plan(manager: EntityManager, input: PlanRequestInput): Promise<PlannedRequestDelivery[]> {
    const connections = await this.directory.mayHoldPeople(manager);
    if (connections.length === 0) return [];
    const payload =
      input.operation === 'rectification' && input.rectification
        ? this.payloads.seal(
            { rectification: input.rectification },
            payloadPlace(input.subjectId, input.operation),
          )
        : null;
    const planned = await this.rows.plan(manager, {
      connectionIds: connections.map((c) => c.id),
      subjectId: input.subjectId,
      operation: input.operation,
      requestId: input.requestId,
      payload,
    });
    await this.kicker.kickWithin(manager, [...new Set(planned.map((p) => p.connection_id))]);
    const byId = new Map(connections.map((c) => [c.id, c]));
    return planned.map((p) => ({
      deliveryId: p.id,
      connectionId: p.connection_id,
      connectionName: byId.get(p.connection_id)!.name,
      vendorId: byId.get(p.connection_id)!.vendorId,
    }));
  }

  async forRequest(requestId: string, options: { withData?: boolean } = {}): Promise<RequestDeliveryView[]> {
    return this.views(await this.rows.rows({ requestId }), options.withData ?? false);
  }

  /** Deliveries triggered by these ledger events (an objection's consent updates). */
  async forEvents(eventIds: readonly string[]): Promise<RequestDeliveryView[]> {
    return this.views(await this.rows.rows({ eventIds }), false);
  }

  /** Every delivery of a person, any operation: which processors received their data, what, and when. */
  async forSubject(subjectId: string): Promise<RequestDeliveryView[]> {
    return this.views(await this.rows.rows({ subjectId }), false);
  }

  /** Runs in the transaction that settles a request delivery (succeeded, skipped, dead, or confirmation timed out). */
  onSettled(hook: SettledHook): void {
    this.settle.onSettled(hook);
  }

  /** The request is over: the values its deliveries carried (rectified identifiers, access data) go. */
  async clearPayloads(manager: EntityManager, requestId: string): Promise<void> {
    await this.rows.clearPayloads(manager, { requestId });
  }

  /**
   * Records of erased people are back at a CRM: each person gets one open erasure there (no request, flagged
   * record_came_back) naming those records; a second announcement before it is sent adds its records to it.
   */
  private async eraseCameBack(
    manager: EntityManager,
    connectionId: string,
    records: readonly { erasedSubjectId: string; remoteId: string }[],
  ): Promise<void> {
    const bySubject = new Map<string, string[]>();
    for (const r of records)
      bySubject.set(r.erasedSubjectId, [...(bySubject.get(r.erasedSubjectId) ?? []), r.remoteId]);
    for (const [subjectId, remoteIds] of bySubject) {
      const erasurePlace = payloadPlace(subjectId, 'erasure');
      const open = await this.rows.openCameBack(manager, connectionId, subjectId);
      if (open) {
        const known = this.payloads.open(
          { ciphertext: open.payloadCiphertext, keyId: open.payloadKeyId },
          erasurePlace,
        );
        const merged = [...new Set([...(known.remoteIds ?? []), ...remoteIds])];
        await this.rows.setPayload(manager, open.id, this.payloads.seal({ remoteIds: merged }, erasurePlace));
      } else {
        const payload = this.payloads.seal({ remoteIds }, erasurePlace);
        await this.rows.insertCameBack(manager, connectionId, subjectId, payload);
      }
    }
    await this.kicker.kickWithin(manager, [connectionId]);
  }

  private async views(rows: DeliveryEntity[], withData: boolean): Promise<RequestDeliveryView[]> {
    if (rows.length === 0) return [];
    const connections = await this.directory.byIds(rows.map((r) => r.connectionId));
    const vendorNames = await this.vendors.namesOf([...connections.values()].map((c) => c.vendorId));
    return rows.map((r) => {
      // A connection is never deleted while deliveries name it (fk_delivery_connection RESTRICT).
      const connection = connections.get(r.connectionId)!;
      const view: RequestDeliveryView = {
        id: r.id,
        requestId: r.requestId,
        subjectId: r.subjectId,
        connectionId: r.connectionId,
        connectionName: connection.name,
        connectionType: connection.type,
        vendorId: connection.vendorId,
        vendorName: vendorNames.get(connection.vendorId) ?? null,
        operation: r.operation,
        status: r.status,
        reason: r.reason,
        attempts: r.attempts,
        lastError: r.lastError,
        lastErrorClass: r.lastErrorClass,
        vendorReference: r.vendorReference,
        evidence: r.evidence as OperationEvidence,
        flags: r.flags ?? [],
        createdAt: r.createdAt,
        startedAt: r.startedAt,
        completedAt: r.completedAt,
        confirmationDueAt: r.confirmationDueAt,
      };
      if (withData && r.operation === 'access_export')
        view.data =
          this.payloads.open(
            { ciphertext: r.payloadCiphertext, keyId: r.payloadKeyId },
            payloadPlace(r.subjectId, r.operation),
          ).data ?? [];
      return view;
    });
  }
}
