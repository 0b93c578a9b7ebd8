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
