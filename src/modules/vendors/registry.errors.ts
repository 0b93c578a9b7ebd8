import { AppError, ErrorKind } from '../../platform/http/problem';

/** Every error code the registry answers with (the `code` of its problem documents). */
export enum RegistryErrorCode {
  VendorNotFound = 'vendor_not_found',
  DpaNotFound = 'dpa_not_found',
  ProcessingActivityNotFound = 'processing_activity_not_found',
  Invalid = 'registry_invalid',
  Conflict = 'registry_conflict',
  DocumentTooLarge = 'document_too_large',
  UnsupportedDocument = 'unsupported_document',
}

export class VendorNotFoundError extends AppError {
  readonly code = RegistryErrorCode.VendorNotFound;
  readonly kind = ErrorKind.NotFound;
}

export class DpaNotFoundError extends AppError {
  readonly code = RegistryErrorCode.DpaNotFound;
  readonly kind = ErrorKind.NotFound;
}

export class ProcessingActivityNotFoundError extends AppError {
  readonly code = RegistryErrorCode.ProcessingActivityNotFound;
  readonly kind = ErrorKind.NotFound;
}

export class RegistryInvalidError extends AppError {
  readonly code = RegistryErrorCode.Invalid;
  readonly kind = ErrorKind.Invalid;
}

export class RegistryConflictError extends AppError {
  readonly code = RegistryErrorCode.Conflict;
  readonly kind = ErrorKind.Conflict;
}

export class DpaDocumentTooLargeError extends AppError {
  readonly code = RegistryErrorCode.DocumentTooLarge;
  readonly kind = ErrorKind.TooLarge;
}

export class DpaDocumentTypeError extends AppError {
  readonly code = RegistryErrorCode.UnsupportedDocument;
  readonly kind = ErrorKind.UnsupportedMediaType;
}

/** PostgreSQL unique_violation, raised through TypeORM's QueryFailedError. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as {
    code?: string;
    driverError?: { code?: string; constraint?: string };
    constraint?: string;
  };
  const code = e?.driverError?.code ?? e?.code;
  const name = e?.driverError?.constraint ?? e?.constraint;
  return code === '23505' && (!constraint || name === constraint);
}
