import { outboxContactPlace } from './event-sealed-places';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { Notifications } from '../../platform/database/notifications';
import { SubjectErasureService } from '../ledger';
import { EventOutboxRepository } from './event-outbox.repository';
import type { RequestAnnouncements } from './request-announcements';
import { EventSubscriptionRepository } from './event-subscription.repository';
import { REQUEST_EVENTS_CHANNEL, type AnnouncedRequest, type RequestEventType } from './event-types';

/**
 * Announces request events to the automation platforms that subscribed to them (contract §5): one outbox
 * row per subscription in the caller's transaction, so an event exists exactly when the change it announces
 * committed, and a NOTIFY wakes the sender on commit. The body is fixed now (its `timestamp` is when it
 * happened); the person's contact is sealed beside it and joins the body only when it is sent.
 */
@Injectable()
export class RequestEvents implements OnModuleInit, RequestAnnouncements {
  constructor(
    private readonly subscriptions: EventSubscriptionRepository,
    private readonly outbox: EventOutboxRepository,
    private readonly crypto: CryptoService,
    private readonly notifications: Notifications,
    private readonly erasure: SubjectErasureService,
  ) {}

  /** A forgotten person's contact leaves every event, sent or not, in the transaction that forgets them. */
  onModuleInit(): void {
    this.erasure.onSubjectForgotten(async (manager, subjectId) => {
      await this.outbox.clearContactsOf(manager, subjectId);
    });
  }

  async announce(manager: EntityManager, type: RequestEventType, request: AnnouncedRequest): Promise<void> {
    const subscribers = await this.subscriptions.subscribersOf(manager, type);
    if (subscribers.length === 0) return;
    const payload = {
      type,
      timestamp: new Date().toISOString(),
      data: {
        request_id: request.id,
        type: request.type,
        status: request.status,
        due_at: request.due_at,
        subject_id: request.subject_id,
      },
    };
    const contact = contactOf(request);
    await this.outbox.insert(
      manager,
      subscribers.map((subscription) => {
        const sealed = contact
          ? this.crypto.seal(JSON.stringify(contact), outboxContactPlace(subscription.id, request.id))
          : null;
        return {
          subscriptionId: subscription.id,
          type,
          requestId: request.id,
          subjectId: request.subject_id,
          payload,
          sealedContact: sealed?.ciphertext ?? null,
          contactKeyId: sealed?.keyId ?? null,
        };
      }),
    );
    await this.notifications.notify(manager, REQUEST_EVENTS_CHANNEL, '');
  }
}

/** Only the phone and email, and only when given: nothing else of the person ever enters an event. */
function contactOf(request: AnnouncedRequest): { phone?: string; email?: string } | null {
  const contact: { phone?: string; email?: string } = {};
  if (typeof request.contact?.phone === 'string' && request.contact.phone)
    contact.phone = request.contact.phone;
  if (typeof request.contact?.email === 'string' && request.contact.email)
    contact.email = request.contact.email;
  return contact.phone || contact.email ? contact : null;
}
