import { AppError } from '../../platform/http/problem';

export class VendorNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'vendor_not_found';
}

export class DpaNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'dpa_not_found';
}

export class ProcessingActivityNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'processing_activity_not_found';
}

export class RegistryInvalidError extends AppError {
  readonly status = 400;
  readonly code = 'registry_invalid';
}

export class RegistryConflictError extends AppError {
  readonly status = 409;
  readonly code = 'registry_conflict';
}

export class DpaDocumentTooLargeError extends AppError {
  readonly status = 413;
  readonly code = 'document_too_large';
}

export class DpaDocumentTypeError extends AppError {
  readonly status = 415;
  readonly code = 'unsupported_document';
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
