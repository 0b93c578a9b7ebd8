// The inbox module's public API: what other modules may use. Everything else is internal.
export { InboxModule } from './inbox.module';
export { InboxLane } from './inbox.constants';
export { WebhookAckResponse } from './inbox.responses';
export { InboxService } from './inbox.service';
export type {
  InboxHandler,
  InboxProcessedListener,
  ProcessedInboxDelivery,
  StoredInboxDelivery,
} from './inbox.service';
export { InboxWriter } from './inbox.writer';
