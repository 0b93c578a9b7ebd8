import type { SubjectRequestOrigin, SubjectRequestType } from '../ledger';
import type { RequestOperation } from '../propagation';

/** The request types of GDPR Art. 15-18 and 21 the gateway answers. */
export const REQUEST_TYPES = ['access', 'erasure', 'rectification', 'restriction', 'objection'] as const;
export type RequestType = SubjectRequestType;

export const REQUEST_STATUSES = [
  'received',
  'identity_verification',
  'in_progress',
  'waiting_on_processors',
  'completed',
  'denied',
  'cancelled',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Statuses in which the deadline runs and the request can still be acted on. */
export const OPEN_STATUSES: readonly RequestStatus[] = [
  'received',
  'identity_verification',
  'in_progress',
  'waiting_on_processors',
];

export function isOpen(status: RequestStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

/** How the request reached the gateway: the API, the console (a DPO recording a letter), or a verified channel. */
export const REQUEST_ORIGINS = [
  'api',
  'console',
  'whatsapp',
  'hubspot_privacy_deletion',
  'salesforce_should_forget',
  'retention',
] as const;
export type RequestOrigin = 'api' | 'console' | 'retention' | SubjectRequestOrigin;

/** What a request was made with (kind of identifier; the value is sealed). */
export type RequestIdentifierKind = 'phone' | 'email' | 'wa_id' | 'subject_id';

/** Why a request ended as it did, or waits (Ketch-style status reasons). */
export type StatusReason =
  | 'no_match'
  | 'already_erased'
  | 'duplicate'
  | 'need_user_verification'
  | 'processors_settled'
  | 'objection_recorded'
  | 'retention_policy';

/** Delivery operations a request type fans out to (objection goes out as consent updates). */
export type { RequestOperation };

export function operationOf(type: RequestType): RequestOperation | null {
  switch (type) {
    case 'erasure':
      return 'erasure';
    case 'restriction':
      return 'restriction';
    case 'rectification':
      return 'rectification';
    case 'access':
      return 'access_export';
    case 'objection':
      return null;
  }
}

export type TaskReason = 'no_api_connection' | 'delivery_dead';
export type TaskStatus = 'open' | 'done';

/** Who did something to a request: a principal's name, or the gateway itself. */
export const GATEWAY_ACTOR = 'gateway';
