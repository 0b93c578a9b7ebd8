import { AppError } from '../../platform/http/problem';

export class UnauthenticatedError extends AppError {
  readonly status = 401;
  readonly code = 'unauthenticated';
}

export class InsufficientScopeError extends AppError {
  readonly status = 403;
  readonly code = 'insufficient_scope';
}
