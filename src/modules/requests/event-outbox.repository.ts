import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Not, type EntityManager, type Repository } from 'typeorm';
import { EventOutboxEntity } from './entities/event-outbox.entity';
import type { RequestEventType } from './event-types';
import { scrubbedText } from '../../platform/logging/personal-data-scrubber';

export interface NewOutboxEvent {
  subscriptionId: string;
  type: RequestEventType;
  requestId: string;
  subjectId: string | null;
  payload: Record<string, unknown>;
  sealedContact: Buffer | null;
  contactKeyId: string | null;
}

/** A claimed event: what the sender needs to send it once. */
export interface ClaimedEvent {
  id: string;
  subscriptionId: string;
  requestId: string;
  payload: Record<string, unknown>;
  sealedContact: Buffer | null;
  contactKeyId: string | null;
  attempts: number;
}

const OPEN = ['pending', 'retrying'] as const;

interface ClaimedRow {
  id: string;
  subscription_id: string;
  request_id: string;
  payload: Record<string, unknown>;
  sealed_contact: Buffer | null;
  contact_key_id: string | null;
  attempts: number;
}

/** event_outbox: the events owed to subscriptions, and their delivery log. */
@Injectable()
export class EventOutboxRepository {
  constructor(@InjectRepository(EventOutboxEntity) private readonly repo: Repository<EventOutboxEntity>) {}

  async insert(manager: EntityManager, events: readonly NewOutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const repo = manager.getRepository(EventOutboxEntity);
    await repo.save(events.map((e) => repo.create(e)));
  }

  /**
   * Takes up to `limit` due events for one attempt each: the attempt is counted and the event pushed
   * `leaseSeconds` into the future, so a sender that dies mid-send leaves it due again after the lease (no
   * separate in-progress state to recover). raw SQL: FOR UPDATE SKIP LOCKED lets several workers claim at once.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<ClaimedEvent[]> {
    const [rows] = await this.repo.query<[ClaimedRow[], number]>(
      `UPDATE event_outbox o
          SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
        WHERE o.id IN (SELECT id FROM event_outbox
                        WHERE status IN ('pending','retrying') AND next_attempt_at <= now()
                        ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING o.id, o.subscription_id, o.request_id, o.payload, o.sealed_contact, o.contact_key_id, o.attempts`,
      [limit, leaseSeconds],
    );
    return rows.map((r) => ({
      id: r.id,
      subscriptionId: r.subscription_id,
      requestId: r.request_id,
      payload: r.payload,
      sealedContact: r.sealed_contact,
      contactKeyId: r.contact_key_id,
      attempts: r.attempts,
    }));
  }

  /** Delivered: the contact has done its job and goes. */
  async markDelivered(id: string, status: number, at: Date): Promise<void> {
    await this.repo.update(
      { id, status: In([...OPEN]) },
      {
        status: 'delivered',
        lastStatus: status,
        lastError: null,
        deliveredAt: at,
        sealedContact: null,
        contactKeyId: null,
      },
    );
  }

  async markRetrying(
    id: string,
    nextAttemptAt: Date,
    lastStatus: number | null,
    error: string,
  ): Promise<void> {
    await this.repo.update(
      { id, status: In([...OPEN]) },
      { status: 'retrying', nextAttemptAt, lastStatus, lastError: scrubbedText(error, 2000) },
    );
  }

  /** Given up: kept as the log of what was tried; the contact goes. */
  async markFailed(id: string, lastStatus: number | null, error: string, at: Date): Promise<void> {
    await this.repo.update(
      { id, status: In([...OPEN]) },
      {
        status: 'failed',
        lastStatus,
        lastError: scrubbedText(error, 2000),
        givenUpAt: at,
        sealedContact: null,
        contactKeyId: null,
      },
    );
  }

  /** A deleted subscription's open events are given up, in the deleting transaction. */
  async failOpenOf(manager: EntityManager, subscriptionId: string, reason: string, at: Date): Promise<void> {
    await manager
      .getRepository(EventOutboxEntity)
      .update(
        { subscriptionId, status: In([...OPEN]) },
        { status: 'failed', lastError: reason, givenUpAt: at, sealedContact: null, contactKeyId: null },
      );
  }

  /** The person is forgotten: no contact of theirs stays in any event, sent or not (the event still goes). */
  async clearContactsOf(manager: EntityManager, subjectId: string): Promise<number> {
    const result = await manager
      .getRepository(EventOutboxEntity)
      .update({ subjectId, sealedContact: Not(IsNull()) }, { sealedContact: null, contactKeyId: null });
    return result.affected ?? 0;
  }

  /** When the next open event is due (the sender sleeps until then). */
  async nextDueAt(): Promise<Date | null> {
    const next = await this.repo.findOne({
      where: { status: In([...OPEN]) },
      order: { nextAttemptAt: 'ASC' },
      select: { id: true, nextAttemptAt: true },
    });
    return next?.nextAttemptAt ?? null;
  }

  /** The subscription's delivery log, newest first. */
  logOf(subscriptionId: string, limit: number): Promise<EventOutboxEntity[]> {
    return this.repo.find({
      where: { subscriptionId },
      order: { createdAt: 'DESC' },
      take: limit,
      select: {
        id: true,
        type: true,
        requestId: true,
        status: true,
        attempts: true,
        lastStatus: true,
        lastError: true,
        createdAt: true,
        nextAttemptAt: true,
        deliveredAt: true,
        givenUpAt: true,
      },
    });
  }
}
