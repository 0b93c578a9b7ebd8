import { AppError, ErrorKind } from '../../platform/http/problem';

/** Every error code Meta's WhatsApp webhook answers with (the `code` of its problem documents). */
export enum WhatsAppErrorCode {
  InvalidSignature = 'invalid_signature',
  VerificationFailed = 'verification_failed',
  InvalidBody = 'invalid_body',
}

export class WebhookSignatureError extends AppError {
  readonly code = WhatsAppErrorCode.InvalidSignature;
  readonly kind = ErrorKind.Unauthenticated;
}

export class WebhookVerificationError extends AppError {
  readonly code = WhatsAppErrorCode.VerificationFailed;
  readonly kind = ErrorKind.Forbidden;
}

export class WebhookBodyError extends AppError {
  readonly code = WhatsAppErrorCode.InvalidBody;
  readonly kind = ErrorKind.Invalid;
}
