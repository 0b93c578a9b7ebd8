/** The request events automation platforms can subscribe to (contract §5). */
export const REQUEST_EVENT_TYPES = [
  'request.created',
  'request.due_soon',
  'request.overdue',
  'request.completed',
  'request.task_reminder',
] as const;
export type RequestEventType = (typeof REQUEST_EVENT_TYPES)[number];

export type EventOutboxStatus = 'pending' | 'retrying' | 'delivered' | 'failed';

/** What a caller announces: the request as the event carries it. `contact` is personal: sealed until sent. */
export interface AnnouncedRequest {
  id: string;
  type: string;
  status: string;
  due_at: string;
  subject_id: string | null;
  contact?: { phone?: string; email?: string };
}

/** NOTIFY channel waking the event sender when an announcement commits. */
export const REQUEST_EVENTS_CHANNEL = 'cg_request_events';
/** A kick to send due events (timed after a failure; every minute as a sweep). */
export const REQUEST_EVENTS_QUEUE = 'requests.events';
