import { AppError } from '../../platform/http/problem';

export class ConnectionNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'connection_not_found';
}

export class ConnectionInvalidError extends AppError {
  readonly status = 400;
  readonly code = 'connection_invalid';
}

export class ProviderNotConfiguredError extends AppError {
  readonly status = 409;
  readonly code = 'provider_not_configured';
}

export class OAuthStateError extends AppError {
  readonly status = 400;
  readonly code = 'oauth_state_invalid';
}
