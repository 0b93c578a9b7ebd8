import { AppError, ErrorKind } from '../../platform/http/problem';

/** Every error code the propagation module answers with (the `code` of its problem documents). */
export enum PropagationErrorCode {
  /** A processor's callback whose Standard Webhooks signature is missing, stale or wrong. */
  InvalidSignature = 'invalid_signature',
  /** A processor's callback whose body is not the documented shape. */
  InvalidBody = 'invalid_body',
  /** A processor's callback naming a delivery that is not one of its connection's. */
  DeliveryNotFound = 'delivery_not_found',
}

export class ConfirmationSignatureError extends AppError {
  readonly code = PropagationErrorCode.InvalidSignature;
  readonly kind = ErrorKind.Unauthenticated;
}

export class ConfirmationBodyError extends AppError {
  readonly code = PropagationErrorCode.InvalidBody;
  readonly kind = ErrorKind.Invalid;
}

export class DeliveryNotFoundError extends AppError {
  readonly code = PropagationErrorCode.DeliveryNotFound;
  readonly kind = ErrorKind.NotFound;
}
