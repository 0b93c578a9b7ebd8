import { subscriptionSecretPlace } from './event-sealed-places';
import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { OutboundGuard, OutboundUrlError } from '../../platform/http/outbound-guard';
import type { EventSubscriptionEntity } from './entities/event-subscription.entity';
import { EventOutboxRepository } from './event-outbox.repository';
import { EventSubscriptionInvalidError, EventSubscriptionNotFoundError } from './event-subscription.errors';
import { EventSubscriptionRepository } from './event-subscription.repository';
import type {
  CreatedEventSubscriptionResponse,
  EventDeliveryResponse,
  EventSubscriptionResponse,
} from './event-subscription.responses';
import type { RequestEventType } from './event-types';

const LOG_LIMIT = 100;

/** Subscriptions of automation platforms to request events: create (secret shown once), list, delete, log. */
@Injectable()
export class EventSubscriptionService {
  constructor(
    private readonly subscriptions: EventSubscriptionRepository,
    private readonly outbox: EventOutboxRepository,
    private readonly guard: OutboundGuard,
    private readonly crypto: CryptoService,
    private readonly dataSource: DataSource,
  ) {}

  /** The URL is held to the same rule as a webhook processor's: https, no private address unless allow-listed. */
  async create(
    input: { url: string; events: RequestEventType[] },
    createdBy: string | null,
  ): Promise<CreatedEventSubscriptionResponse> {
    let url: string;
    try {
      url = (await this.guard.check(input.url, { requireHttps: true })).toString();
    } catch (error) {
      const message = error instanceof OutboundUrlError ? error.message : 'is not allowed';
      throw new EventSubscriptionInvalidError(`url ${message}`, [{ field: 'url', message }]);
    }
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    // The id is made here so that the secret can be bound to its subscription (associated data).
    const id = randomUUID();
    const sealed = this.crypto.seal(secret, subscriptionSecretPlace(id));
    const created = await this.subscriptions.create({
      id,
      url,
      events: [...input.events],
      secret: sealed.ciphertext,
      keyId: sealed.keyId,
      createdBy,
    });
    return { ...view(created), secret };
  }

  async list(): Promise<{ items: EventSubscriptionResponse[] }> {
    return { items: (await this.subscriptions.listActive()).map(view) };
  }

  /** Disables the subscription; its events not yet delivered are given up (and lose their contact) with it. */
  async remove(id: string): Promise<EventSubscriptionResponse> {
    return this.dataSource.transaction(async (manager) => {
      const subscription = await this.subscriptions.findActive(id, manager);
      if (!subscription) throw notFound(id);
      const at = new Date();
      await this.subscriptions.disable(manager, id, at);
      await this.outbox.failOpenOf(manager, id, 'subscription deleted', at);
      return view({ ...subscription, disabledAt: at });
    });
  }

  /** The last events owed to the subscription and how each went (deleted subscriptions keep their log). */
  async deliveries(id: string): Promise<{ items: EventDeliveryResponse[] }> {
    if (!(await this.subscriptions.find(id))) throw notFound(id);
    const rows = await this.outbox.logOf(id, LOG_LIMIT);
    return {
      items: rows.map((r) => ({
        id: r.id,
        type: r.type,
        request_id: r.requestId,
        status: r.status,
        attempts: r.attempts,
        last_status: r.lastStatus,
        last_error: r.lastError,
        created_at: r.createdAt.toISOString(),
        next_attempt_at:
          r.status === 'pending' || r.status === 'retrying' ? r.nextAttemptAt.toISOString() : null,
        delivered_at: r.deliveredAt?.toISOString() ?? null,
        given_up_at: r.givenUpAt?.toISOString() ?? null,
      })),
    };
  }
}

function notFound(id: string): EventSubscriptionNotFoundError {
  return new EventSubscriptionNotFoundError(`No event subscription ${id}`, [
    { field: 'id', message: 'not found' },
  ]);
}

function view(s: EventSubscriptionEntity): EventSubscriptionResponse {
  return {
    id: s.id,
    url: s.url,
    events: s.events,
    created_at: s.createdAt.toISOString(),
    disabled_at: s.disabledAt?.toISOString() ?? null,
  };
}
