/** A kick to drain one connection's due deliveries; job data names the connection. */
export const PROPAGATION_DRAIN_QUEUE = 'propagation.drain';
/** Every minute: kick every connection with due or orphaned deliveries; settle confirmations past their wait. */
export const PROPAGATION_MAINTENANCE_QUEUE = 'propagation.maintenance';
/** Every ten minutes: release deliveries held for vendors whose DPA has become valid on its own. */
export const PROPAGATION_RELEASE_QUEUE = 'propagation.release-held';
/** NOTIFY channel announcing connections with new deliveries (payload: comma-separated ids). */
export const PROPAGATION_CHANNEL = 'cg_propagation';

/** How long a drain lease lasts without renewal; a crashed worker's connections are free after this. */
export const LEASE_SECONDS = 20;

export interface DrainJob {
  connectionId: string;
}

export type DeliveryStatus =
  'pending' | 'in_progress' | 'succeeded' | 'retrying' | 'dead' | 'skipped' | 'awaiting_confirmation';
/** The operations a data-subject request plans (Art. 15-19). */
export type RequestOperation = 'erasure' | 'restriction' | 'rectification' | 'access_export';
export type DeliveryOperation = 'consent_update' | RequestOperation;
export const REQUEST_OPERATIONS: readonly RequestOperation[] = [
  'erasure',
  'restriction',
  'rectification',
  'access_export',
];

/** Flags a request delivery may carry (besides dpa_missing). */
export const ACKNOWLEDGED_NOT_CONFIRMED = 'acknowledged_not_confirmed';
export const RECORD_CAME_BACK = 'record_came_back';
