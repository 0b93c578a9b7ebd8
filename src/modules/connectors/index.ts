// The connectors module's public API: what other modules may use. Everything else is internal.
export { ConnectionAdminService } from './connection-admin.service';
export { ConnectionDirectory, ConnectionLeases } from './connection-directory';
export { ConnectionService } from './connection.service';
export { RecordLinks } from './record-links.service';
export { ConnectorFactory } from './connector.factory';
export {
  AuthFailedError,
  ConnectorError,
  NOT_FOUND_AT_VENDOR,
  RateLimitedError,
  TransientError,
} from './connector.port';
export type {
  AccessPull,
  ConnectionType,
  Connector,
  ConnectorErrorClass,
  ConsentPush,
  ErasurePush,
  OperationEvidence,
  PushOutcome,
  RectificationPush,
  RemotePersonRecord,
  RequestOutcome,
  RestrictionPush,
  SubjectRef,
} from './connector.port';
export { verifyStandardWebhook } from './webhook/standard-webhooks';
export { ConnectorsModule } from './connectors.module';
// Standard Webhooks signing, shared with the request events sent to automation platforms (requests module).
export { signStandardWebhook } from './webhook/standard-webhooks';
