import { AppError, ErrorKind } from '../../platform/http/problem';

/** Every error code the audit module answers with (the `code` of its problem documents). */
export enum AuditErrorCode {
  AnchorInvalid = 'audit_anchor_invalid',
}

/** An anchor given for verification that this gateway did not issue (its MAC does not match). */
export class AuditAnchorInvalidError extends AppError {
  readonly code = AuditErrorCode.AnchorInvalid;
  readonly kind = ErrorKind.Invalid;
}
