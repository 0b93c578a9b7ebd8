export {
  HubSpotSimulator,
  type CreatedPortal,
  type CreatePortalInput,
  type FaultInput,
  type HubSpotSimulatorOptions,
  type SeedContactsInput,
  type SeedContactsResult,
  type SimulatorState,
} from './hubspot-simulator';
export type {
  CallLog,
  CallLogEntry,
  ContactRecord,
  Fault,
  FaultKind,
  PortalState,
  PropertyDefinition,
  SubscriptionDefinition,
  TokenRecord,
  WebhookEvent,
} from './hubspot-state';
export {
  completeWebhookEvent,
  sendWebhooks,
  signatureV1,
  signatureV3,
  type SendWebhooksOptions,
  type WebhookDelivery,
  type WebhookEventInput,
} from './hubspot-webhooks';
export {
  calculatePhone,
  CALCULATED_PHONE_PROPERTIES,
  COUNTRY_PROPERTY,
  type CalculatedPhone,
  type CalculatedPhoneProperty,
} from './hubspot-phone';
export {
  MAX_FILTER_GROUPS,
  MAX_FILTERS,
  MAX_FILTERS_PER_GROUP,
  SEARCH_LIMIT,
  SEARCH_MAX_RESULTS,
} from './hubspot-search';
export { BATCH_LIMIT } from './hubspot-batch';
export {
  personProperties,
  type SeededRealisticContact,
  type SeedRealisticContactsInput,
  type SeedRealisticContactsResult,
} from './hubspot-realistic-seed';
export {
  realisticPeople,
  typePhone,
  type PhoneFormat,
  type PhoneProperty,
  type PhoneRegion,
  type RealisticPeopleOptions,
  type RealisticPerson,
} from '../seed/realistic-people';
