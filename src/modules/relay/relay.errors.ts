import { AppError, ErrorKind } from '../../platform/http/problem';

export enum RelayErrorCode {
  NotDead = 'relay_delivery_not_dead',
}

/** Only a dead delivery (whose body is still kept) can be replayed. */
export class RelayNotDeadError extends AppError {
  readonly code = RelayErrorCode.NotDead;
  readonly kind = ErrorKind.Conflict;
}
