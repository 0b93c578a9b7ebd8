export * from './hubspot.constants';
export * from './hubspot.mapper';
export type * from './hubspot.types';
export { HubspotConnector } from './hubspot.connector';
export { HubspotOAuth } from './hubspot-oauth';
