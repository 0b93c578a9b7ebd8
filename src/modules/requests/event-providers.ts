import { EventOutboxEntity } from './entities/event-outbox.entity';
import { EventSubscriptionEntity } from './entities/event-subscription.entity';
import { RequestEvents } from './event-announcer';
import { EventDeliveryWorker } from './event-delivery.worker';
import { EventOutboxRepository } from './event-outbox.repository';
import { EventSender } from './event-sender';
import { EventSubscriptionRepository } from './event-subscription.repository';
import { EventSubscriptionService } from './event-subscription.service';
import { EventSubscriptionsController } from './event-subscriptions.controller';

/**
 * The request events part of the requests module (contract §5), as lists RequestsModule spreads into its
 * TypeOrmModule.forFeature, controllers and providers. `RequestEvents` is what requests announce through.
 * Uses the module's Clock and the OutboundGuard ConnectorsModule exports.
 */
export const EVENT_ENTITIES = [EventSubscriptionEntity, EventOutboxEntity];
export const EVENT_CONTROLLERS = [EventSubscriptionsController];
export const EVENT_PROVIDERS = [
  EventSubscriptionRepository,
  EventOutboxRepository,
  EventSubscriptionService,
  EventSender,
  EventDeliveryWorker,
  RequestEvents,
];
