import { AppError, ErrorKind } from '../../platform/http/problem';

/** Every error code the connectors module answers with (the `code` of its problem documents). */
export enum ConnectorsErrorCode {
  ConnectionNotFound = 'connection_not_found',
  ConnectionInvalid = 'connection_invalid',
  ProviderNotConfigured = 'provider_not_configured',
  OAuthStateInvalid = 'oauth_state_invalid',
  /** vendor_id given by a caller without registry:write: joining a vendor (and its DPA) is a registry change. */
  VendorAttachForbidden = 'vendor_attach_forbidden',
  /** A CRM webhook whose signature is missing, stale or wrong. */
  InvalidSignature = 'invalid_signature',
  /** A CRM webhook whose body is not what the provider sends. */
  InvalidBody = 'invalid_body',
  /** The HubSpot portal or Salesforce org is already connected, and the request did not confirm a second one. */
  DuplicateAccount = 'connection_duplicate',
}

export class ConnectionNotFoundError extends AppError {
  readonly code = ConnectorsErrorCode.ConnectionNotFound;
  readonly kind = ErrorKind.NotFound;
}

export class ConnectionInvalidError extends AppError {
  readonly code = ConnectorsErrorCode.ConnectionInvalid;
  readonly kind = ErrorKind.Invalid;
}

export class ProviderNotConfiguredError extends AppError {
  readonly code = ConnectorsErrorCode.ProviderNotConfigured;
  readonly kind = ErrorKind.Conflict;
}

export class OAuthStateError extends AppError {
  readonly code = ConnectorsErrorCode.OAuthStateInvalid;
  readonly kind = ErrorKind.Invalid;
}

export class VendorAttachForbiddenError extends AppError {
  readonly code = ConnectorsErrorCode.VendorAttachForbidden;
  readonly kind = ErrorKind.Forbidden;
}

export class CrmWebhookSignatureError extends AppError {
  readonly code = ConnectorsErrorCode.InvalidSignature;
  readonly kind = ErrorKind.Unauthenticated;
}

export class CrmWebhookBodyError extends AppError {
  readonly code = ConnectorsErrorCode.InvalidBody;
  readonly kind = ErrorKind.Invalid;
}

/**
 * A second live connection to one HubSpot portal or Salesforce org pushes every change twice: refused unless the
 * request confirms it (allow_duplicate). The message names the connection that already reaches the account.
 */
export class DuplicateConnectionError extends AppError {
  readonly code = ConnectorsErrorCode.DuplicateAccount;
  readonly kind = ErrorKind.Conflict;
  constructor(
    message: string,
    readonly existing: { id: string; name: string },
  ) {
    super(message, [
      { field: 'allow_duplicate', message: 'set it to true to connect the same account a second time' },
    ]);
  }
}
