export * from './hubspot.constants';
export * from './hubspot.mapper';
export type * from './hubspot.types';
export { HubspotConnector, HUBSPOT_SKIP_REASONS, type HubspotConnectorOptions } from './hubspot.connector';
export { HubspotOAuth } from './hubspot-oauth';
export {
  decodeHubspotUri,
  HUBSPOT_SIGNATURE_MAX_AGE_MS,
  parseHubspotEvents,
  verifyHubspotSignatureV3,
  type HubspotSignatureInput,
} from './hubspot-webhook';
export { classifyHubspotError, hubspotRetryAfterMs, HubspotPermanentError } from './hubspot.sdk';
