import { AppError, ErrorKind } from '../../platform/http/problem';

/** Every error code the inbox answers with (the `code` of its problem documents). */
export enum InboxErrorCode {
  Unavailable = 'inbox_unavailable',
}

/**
 * A delivery could not be stored now (the database failed, or too many are already waiting to be
 * written): nothing was acknowledged, and the sender is asked to retry after `retryAfterSeconds`.
 */
export class InboxUnavailableError extends AppError {
  readonly code = InboxErrorCode.Unavailable;
  readonly kind = ErrorKind.Unavailable;
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
