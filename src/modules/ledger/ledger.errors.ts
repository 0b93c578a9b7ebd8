import { AppError, ErrorKind } from '../../platform/http/problem';

/**
 * Every error code the ledger answers with (the `code` of its problem documents). They are the platform's
 * generic codes on purpose: clients already handle `validation_failed` and `not_found` from these routes.
 */
export enum LedgerErrorCode {
  ConsentRequestInvalid = 'validation_failed',
  PersonNotFound = 'not_found',
  IdentifierTaken = 'IDENTIFIER_TAKEN',
}

/** A consent request the ledger cannot act on: a malformed body, a lookup without one identifier, an unknown subject. */
export class ConsentRequestInvalidError extends AppError {
  readonly code = LedgerErrorCode.ConsentRequestInvalid;
  readonly kind = ErrorKind.Invalid;
}

/** No person is known by the identifier or subject id given. */
export class PersonNotFoundError extends AppError {
  readonly code = LedgerErrorCode.PersonNotFound;
  readonly kind = ErrorKind.NotFound;
}

/** A corrected identifier (rectification) that is not a valid phone number or email; names the field. */
export class IdentifierInvalidError extends AppError {
  readonly code = LedgerErrorCode.ConsentRequestInvalid;
  readonly kind = ErrorKind.Unprocessable;
}

/** A corrected identifier that already belongs to another person (merging people is a human decision). */
export class IdentifierTakenError extends AppError {
  readonly code = LedgerErrorCode.IdentifierTaken;
  readonly kind = ErrorKind.Conflict;
}
