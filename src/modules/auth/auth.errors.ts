import { AppError, ErrorKind } from '../../platform/http/problem';

/** Every error code of authentication, sessions and users (the `code` of their problem documents). */
export enum AuthErrorCode {
  Unauthenticated = 'unauthenticated',
  InsufficientScope = 'insufficient_scope',
  LoginFailed = 'login_failed',
  NotSignedIn = 'not_signed_in',
  UserExists = 'user_exists',
}

export class UnauthenticatedError extends AppError {
  readonly code = AuthErrorCode.Unauthenticated;
  readonly kind = ErrorKind.Unauthenticated;
}

export class InsufficientScopeError extends AppError {
  readonly code = AuthErrorCode.InsufficientScope;
  readonly kind = ErrorKind.Forbidden;
}

export class LoginFailedError extends AppError {
  readonly code = AuthErrorCode.LoginFailed;
  readonly kind = ErrorKind.Unauthenticated;
}

/** No console session: distinct from a missing API key, since the session routes never take one. */
export class NotSignedInError extends AppError {
  readonly code = AuthErrorCode.NotSignedIn;
  readonly kind = ErrorKind.Unauthenticated;
}

export class UserExistsError extends AppError {
  readonly code = AuthErrorCode.UserExists;
  readonly kind = ErrorKind.Conflict;
}
