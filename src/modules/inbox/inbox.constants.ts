/** NOTIFY channel that wakes inbox workers in every process as soon as a delivery commits. */
export const INBOX_CHANNEL = 'cg_inbox';

/**
 * pg-boss queues of earlier versions (a job per delivery, a scheduled sweep). Nothing uses them now: the
 * inbox table is the queue. Worker processes remove them once; rows their jobs named are still pending
 * in the inbox and are processed from there.
 */
export const LEGACY_INBOX_QUEUES = ['inbox.process', 'inbox.maintenance'] as const;

export type InboxProvider = 'whatsapp' | 'hubspot';

/**
 * Which loop serves a delivery first. Signal: anything that may change consent (a STOP must never wait
 * behind a campaign's statuses). Bulk: deliveries made only of plain delivery statuses.
 */
export enum InboxLane {
  Signal = 0,
  Bulk = 1,
}
