import { AppError, ErrorKind } from '../../platform/http/problem';

/** Error codes of the event subscription routes (the `code` of their problem documents). */
export enum EventSubscriptionErrorCode {
  NotFound = 'event_subscription_not_found',
  Invalid = 'event_subscription_invalid',
}

export class EventSubscriptionNotFoundError extends AppError {
  readonly code = EventSubscriptionErrorCode.NotFound;
  readonly kind = ErrorKind.NotFound;
}

export class EventSubscriptionInvalidError extends AppError {
  readonly code = EventSubscriptionErrorCode.Invalid;
  readonly kind = ErrorKind.Invalid;
}
