import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
  ValidationPipe,
  ParseUUIDPipe,
  type ValidationError,
  BadRequestException,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../database/database-unavailable';

export interface FieldProblem {
  field: string;
  message: string;
}

/** RFC 9457 problem details, as every error of the API is returned. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldProblem[];
}

/**
 * What kind of failure an error is, independent of the transport. Modules say which kind each of their
 * error codes is; `HTTP_STATUS_OF` below is the one place a kind becomes an HTTP status.
 */
export enum ErrorKind {
  Invalid = 'invalid',
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  Conflict = 'conflict',
  TooLarge = 'too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  Unprocessable = 'unprocessable',
  Locked = 'locked',
  RateLimited = 'rate_limited',
  Unavailable = 'unavailable',
}

/** The single mapping of error kinds to HTTP statuses. */
export const HTTP_STATUS_OF: Readonly<Record<ErrorKind, number>> = {
  [ErrorKind.Invalid]: 400,
  [ErrorKind.Unauthenticated]: 401,
  [ErrorKind.Forbidden]: 403,
  [ErrorKind.NotFound]: 404,
  [ErrorKind.Conflict]: 409,
  [ErrorKind.TooLarge]: 413,
  [ErrorKind.UnsupportedMediaType]: 415,
  [ErrorKind.Unprocessable]: 422,
  [ErrorKind.Locked]: 423,
  [ErrorKind.RateLimited]: 429,
  [ErrorKind.Unavailable]: 503,
};

/**
 * Base of the modules' error classes: each carries a code of its module's error-code enum and declares
 * `readonly kind = ErrorKind.X`; the filter maps the kind to HTTP once (`httpStatusOf`).
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;
  readonly errors?: FieldProblem[];
  constructor(message: string, errors?: FieldProblem[]) {
    super(message);
    this.name = new.target.name;
    this.errors = errors;
  }
}

/** The HTTP status of a module error, from its kind. */
export function httpStatusOf(error: AppError): number {
  return HTTP_STATUS_OF[error.kind];
}

/** Codes of the platform's own errors. */
export enum PlatformErrorCode {
  ValidationFailed = 'validation_failed',
  NotFound = 'not_found',
  RateLimited = 'rate_limited',
}

export class RequestValidationError extends AppError {
  readonly code = PlatformErrorCode.ValidationFailed;
  readonly kind = ErrorKind.Invalid;
}

export class NotFoundError extends AppError {
  readonly code = PlatformErrorCode.NotFound;
  readonly kind = ErrorKind.NotFound;
}

/** The problem code of a request refused because the database is away (503 with Retry-After). */
export const DATABASE_UNAVAILABLE = 'database_unavailable';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function problem(status: number, code: string, detail: string, errors?: FieldProblem[]): Problem {
  return {
    type: `https://consent-gateway.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(errors && errors.length ? { errors } : {}),
  };
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** Fastify's own errors (body parsing, limits, content types) raised before a handler runs. */
function fromFastifyError(error: FastifyLikeError): Problem | null {
  switch (error.code ?? '') {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'body_too_large', 'The request body is larger than this endpoint accepts.', [
        { field: 'body', message: 'too large' },
      ]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'unsupported_media_type', 'Send the body as application/json.', [
        { field: 'content-type', message: 'must be application/json' },
      ]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, 'invalid_json', 'The request body is empty.', [
        { field: 'body', message: 'is empty' },
      ]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(400, 'invalid_body', 'The Content-Length does not match the body.', [
        { field: 'body', message: 'length mismatch' },
      ]);
    default:
      break;
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON') {
    return problem(400, 'invalid_json', 'The request body is not valid JSON.', [
      { field: 'body', message: 'is not valid JSON' },
    ]);
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return problem(error.statusCode, 'bad_request', error.message ?? 'Bad request');
  }
  return null;
}

export function toProblem(exception: unknown): Problem {
  if (exception instanceof AppError) {
    return problem(httpStatusOf(exception), exception.code, exception.message, exception.errors);
  }
  if (exception instanceof HttpException) {
    // Nest's Fastify adapter wraps Fastify's own 4xx errors (empty JSON body, bad Content-Length…) in an
    // HttpException; the wrapped error says which field was wrong.
    const cause: unknown = exception.cause;
    if (typeof cause === 'object' && cause !== null && 'code' in cause) {
      const fastify = fromFastifyError(cause as FastifyLikeError);
      if (fastify?.errors) return fastify;
    }
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'code' in response && 'detail' in response) {
      return { ...problem(status, '', ''), ...(response as Partial<Problem>), status };
    }
    const detail =
      typeof response === 'string'
        ? response
        : ((response as { message?: unknown }).message?.toString() ?? exception.message);
    if (status === 413 || status === 415) {
      const fastify = fromFastifyError({
        code: status === 413 ? 'FST_ERR_CTP_BODY_TOO_LARGE' : 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      });
      if (fastify) return fastify;
    }
    if (status === 400 && /not valid JSON/i.test(detail)) {
      return problem(400, 'invalid_json', 'The request body is not valid JSON.', [
        { field: 'body', message: 'is not valid JSON' },
      ]);
    }
    const code =
      status === 404 ? 'not_found' : (TITLES[status] ?? 'error').toLowerCase().replace(/\s+/g, '_');
    return problem(status, code, detail);
  }
  const fastify = typeof exception === 'object' && exception !== null ? fromFastifyError(exception) : null;
  if (fastify) return fastify;
  // The database restarting, failing over or down: nothing was committed, and the caller may try again.
  if (isDatabaseUnavailable(exception)) {
    return problem(
      503,
      DATABASE_UNAVAILABLE,
      'The database is unavailable for a moment; nothing was stored. Try again after Retry-After seconds.',
    );
  }
  return problem(500, 'internal_error', 'Something went wrong on our side; the error was logged.');
}

export function sendProblem(reply: FastifyReply, body: Problem): void {
  if (body.code === DATABASE_UNAVAILABLE) reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
  void reply.status(body.status).header('content-type', 'application/problem+json; charset=utf-8').send(body);
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = toProblem(exception);
    // An error that knows when to come back (a store refusing for now) says so, as 503s should.
    const retryAfter = (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    // The database being away is logged where it is seen (pools, listener), not once per refused request.
    if (body.status >= 500 && body.code !== DATABASE_UNAVAILABLE) {
      this.logger.error(
        {
          err:
            exception instanceof Error
              ? { name: exception.name, message: exception.message, stack: exception.stack }
              : exception,
        },
        'unhandled error',
      );
    }
    sendProblem(reply, body);
  }
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ field, message: message.replace(/^property \S+ /, '') });
    }
    if (error.children?.length) out.push(...flatten(error.children, field));
  }
  return out;
}

/** Validation that refuses unknown fields and names every bad field in the error. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new BadRequestException(
        problem(
          400,
          'validation_failed',
          `Invalid request: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`,
          fields,
        ),
      );
    },
  });
}

/** A path parameter that must be a UUID; a 400 names the parameter. */
export function uuidParam(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () =>
      new RequestValidationError(`${name} must be a UUID`, [{ field: name, message: 'must be a UUID' }]),
  });
}
