/** pg-boss queue that processes stored deliveries; its job data lists inbox row ids. */
export const INBOX_PROCESS_QUEUE = 'inbox.process';
/** Scheduled sweep (re-queue deliveries whose job was lost) and purge of raw bodies past retention. */
export const INBOX_MAINTENANCE_QUEUE = 'inbox.maintenance';
/** NOTIFY channel that wakes inbox workers in every process as soon as a delivery commits. */
export const INBOX_CHANNEL = 'cg_inbox';

export interface InboxProcessJob {
  ids: string[];
}

export type InboxProvider = 'whatsapp' | 'hubspot';
