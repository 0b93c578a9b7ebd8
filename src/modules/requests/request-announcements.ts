import type { EntityManager } from 'typeorm';
import type { Contact } from './request-identifier';

export type RequestAnnouncement =
  'request.created' | 'request.due_soon' | 'request.overdue' | 'request.completed' | 'request.task_reminder';

export interface AnnouncedRequest {
  id: string;
  type: string;
  status: string;
  due_at: string;
  subject_id: string | null;
  /** Where the automation platform may write to the person (sealed in the outbox). */
  contact?: Contact;
}

/**
 * Where requests announce what happened to automation platforms (signed webhook events), in the caller's
 * transaction. The requests' event-subscription outbox (RequestEvents, event-*.ts) is bound to it in RequestsModule.
 */
export abstract class RequestAnnouncements {
  abstract announce(
    manager: EntityManager,
    type: RequestAnnouncement,
    request: AnnouncedRequest,
  ): Promise<void>;
}
