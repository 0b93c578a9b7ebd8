/** A kick to drain one connection's due deliveries; job data names the connection. */
export const PROPAGATION_DRAIN_QUEUE = 'propagation.drain';
/** Every minute: kick every connection with due or orphaned deliveries. */
export const PROPAGATION_MAINTENANCE_QUEUE = 'propagation.maintenance';
/** NOTIFY channel announcing connections with new deliveries (payload: comma-separated ids). */
export const PROPAGATION_CHANNEL = 'cg_propagation';

export interface DrainJob {
  connectionId: string;
}

export type DeliveryStatus = 'pending' | 'in_progress' | 'succeeded' | 'retrying' | 'dead' | 'skipped';
export type DeliveryOperation =
  'consent_update' | 'erasure' | 'restriction' | 'rectification' | 'access_export';
