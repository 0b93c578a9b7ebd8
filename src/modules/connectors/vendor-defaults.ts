import type { ConnectionType } from './connector.port';

/** The vendors' real addresses, used unless an allow-listed base_url points a connection elsewhere. */
export const VENDOR_DEFAULTS: Record<
  ConnectionType,
  { vendorName: string; apiBaseUrl: string | null; authBaseUrl: string | null }
> = {
  hubspot: {
    vendorName: 'HubSpot',
    apiBaseUrl: 'https://api.hubapi.com',
    authBaseUrl: 'https://app.hubspot.com',
  },
  salesforce: { vendorName: 'Salesforce', apiBaseUrl: null, authBaseUrl: 'https://login.salesforce.com' },
  webhook: { vendorName: 'Webhook processor', apiBaseUrl: null, authBaseUrl: null },
};

/**
 * Requests per window each vendor publishes, so propagation paces itself below them rather than
 * learning them from 429s (HubSpot private app, Free/Starter tier: 100 per 10 s).
 */
export const DEFAULT_RATE_LIMITS: Record<ConnectionType, { max: number; windowMs: number }> = {
  hubspot: { max: 100, windowMs: 10_000 },
  salesforce: { max: 25, windowMs: 1_000 },
  webhook: { max: 50, windowMs: 1_000 },
};
