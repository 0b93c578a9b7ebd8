import { AppError, ErrorKind } from '../../platform/http/problem';

/** Every error code the requests API answers with (the `code` of its problem documents). */
export enum RequestErrorCode {
  Invalid = 'request_invalid',
  NotFound = 'request_not_found',
  TaskNotFound = 'request_task_not_found',
  /** The action is not possible in the request's status (deny a completed request, verify twice…). */
  WrongStatus = 'request_wrong_status',
  ExtensionRefused = 'extension_refused',
  PauseRefused = 'pause_refused',
  ExportUnavailable = 'export_unavailable',
}

/** A body or query the requests API cannot act on; names the field. */
export class RequestInvalidError extends AppError {
  readonly code = RequestErrorCode.Invalid;
  readonly kind = ErrorKind.Invalid;
}

export class RequestNotFoundError extends AppError {
  readonly code = RequestErrorCode.NotFound;
  readonly kind = ErrorKind.NotFound;
}

export class RequestTaskNotFoundError extends AppError {
  readonly code = RequestErrorCode.TaskNotFound;
  readonly kind = ErrorKind.NotFound;
}

export class RequestWrongStatusError extends AppError {
  readonly code = RequestErrorCode.WrongStatus;
  readonly kind = ErrorKind.Conflict;
}

/** Art. 12(3): more than two further months, after the first month, or without telling the person. */
export class ExtensionRefusedError extends AppError {
  readonly code = RequestErrorCode.ExtensionRefused;
  readonly kind = ErrorKind.Unprocessable;
}

export class PauseRefusedError extends AppError {
  readonly code = RequestErrorCode.PauseRefused;
  readonly kind = ErrorKind.Conflict;
}

/** The export of a request that is not a completed access request, or of a person since forgotten. */
export class ExportUnavailableError extends AppError {
  readonly code = RequestErrorCode.ExportUnavailable;
  readonly kind = ErrorKind.Conflict;
}
