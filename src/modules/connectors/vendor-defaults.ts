import type { ConnectionType } from './connector.port';
import { HUBSPOT_VENDOR } from './hubspot/hubspot.constants';
import { SALESFORCE_VENDOR } from './salesforce/salesforce.constants';

/** The vendors' real addresses, used unless an allow-listed base_url points a connection elsewhere. */
export const VENDOR_DEFAULTS: Record<
  ConnectionType,
  { vendorName: string; apiBaseUrl: string | null; authBaseUrl: string | null }
> = {
  hubspot: HUBSPOT_VENDOR,
  salesforce: SALESFORCE_VENDOR,
  webhook: { vendorName: 'Webhook processor', apiBaseUrl: null, authBaseUrl: null },
};

/**
 * Requests per window each vendor publishes, so propagation paces itself below them rather than
 * learning them from 429s.
 */
export const DEFAULT_RATE_LIMITS: Record<ConnectionType, { max: number; windowMs: number }> = {
  hubspot: HUBSPOT_VENDOR.rateLimit,
  salesforce: SALESFORCE_VENDOR.rateLimit,
  webhook: { max: 50, windowMs: 1_000 },
};
