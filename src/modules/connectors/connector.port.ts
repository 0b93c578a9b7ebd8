import type { OutboundGuard } from '../../platform/http/outbound-guard';
import type { ConsentStateInForce, ConsentStatus } from '../ledger';

export type ConnectionType = 'hubspot' | 'salesforce' | 'webhook';
export type ErasureMode = 'vendor_gdpr_delete' | 'hard_delete' | 'mask_fields';

/** Decrypted credentials of a connection. Never logged, never returned by the API. */
export interface ConnectionCredentials {
  accessToken?: string;
  refreshToken?: string;
  /** ISO time the access token expires; absent for private-app tokens that do not expire. */
  expiresAt?: string | null;
  instanceUrl?: string;
  /** Standard Webhooks signing secret (whsec_…) of a webhook connection. */
  signingSecret?: string;
  /** Target URL of a webhook connection. */
  url?: string;
}

/** What a connector needs to know about its connection. */
export interface ConnectionContext {
  id: string;
  type: ConnectionType;
  name: string;
  /** Where the vendor's API is (a sandbox when allow-listed, the vendor's real host otherwise). */
  baseUrl: string;
  loginUrl: string | null;
  externalAccountId: string | null;
  mapping: Record<string, unknown>;
  erasureMode: ErasureMode;
  credentials: ConnectionCredentials;
  /**
   * Region (ISO 3166 alpha-2) in which this account's national numbers ("0151 2345678") were typed, when
   * the record has no country of its own: the connection's setting, else DEFAULT_PHONE_REGION; null: none.
   */
  phoneRegion: string | null;
}

/** One consent state of the person, as the connector must apply it: the ledger's state in force. */
export type ConsentStateSnapshot = ConsentStateInForce;

/** One person's current state, to be applied at the connection (state, not deltas: idempotent). */
export interface ConsentPush {
  deliveryId: string;
  subjectId: string;
  /** Every phone number the person is known by (E.164), oldest first. */
  phones: string[];
  waId: string | null;
  /** Every email address the person is known by (lower case), oldest first. */
  emails: string[];
  /**
   * The records known to stand for this person at this connection (links learnt by backfill, polls and earlier
   * pushes). Used first; a connector still looks the person up by phone and email to find records not yet linked.
   */
  remoteIds: string[];
  states: ConsentStateSnapshot[];
  /**
   * Processing is restricted (Art. 18): a vendor that shows consent and restriction in one field (HubSpot's opted-out
   * consent property) keeps showing the restriction until it is lifted. Absent: not restricted.
   */
  restricted?: boolean;
}

/** A record at the vendor that a push found and wrote: the gateway links it to the person. */
export interface RemoteRecordRef {
  remoteId: string;
  /** What the record is at the vendor ('contact' at HubSpot; 'Contact' or 'Lead' at Salesforce). */
  recordType: string;
}

/**
 * The skip reason of a push that found no record of the person at the vendor. Such a delivery waits while a
 * backfill of the connection runs, and is re-opened when a matching record appears.
 */
export const NOT_FOUND_AT_VENDOR = 'not_found_at_vendor';

export type PushOutcome =
  | {
      deliveryId: string;
      outcome: 'succeeded';
      /** Every record of the person written by this push (duplicates included). */
      records?: RemoteRecordRef[];
      vendorReference?: string | null;
      pushed?: Record<string, unknown>;
    }
  | { deliveryId: string; outcome: 'skipped'; reason: string }
  | { deliveryId: string; outcome: 'failed'; error: ConnectorError };

/** Who a data-subject request operation is about, at this connection (what the ledger still knows of them). */
export interface SubjectRef {
  deliveryId: string;
  subjectId: string;
  /** The data-subject request this operation serves (null: a record that came back after an erasure). */
  requestId: string | null;
  /** Every phone number the person is known by (E.164); empty once the gateway has forgotten them. */
  phones: string[];
  /** Every email address (lower case); empty once the gateway has forgotten them. */
  emails: string[];
  /** Records linked to the person at this connection (used first; a connector may still look the person up). */
  remoteIds: string[];
}

/** Art. 17: erase the person at the vendor, by the connection's erasure mode. */
export interface ErasurePush extends SubjectRef {
  mode: ErasureMode;
}

/** Art. 18: the person's current restriction (state, not delta: lifting is restricted = false). */
export interface RestrictionPush extends SubjectRef {
  restricted: boolean;
  /** The person's consent in force: what a vendor restores where the restriction covered it up, once lifted. */
  states: ConsentStateSnapshot[];
}

/** Art. 16 and 19: replace the person's old identifiers with the corrected ones in every record. */
export interface RectificationPush extends SubjectRef {
  /** The identifiers being replaced (used to find the records, then overwritten). */
  previous: { phones: string[]; emails: string[] };
  /** The corrected identifiers, written to every record found. */
  current: { phones: string[]; emails: string[] };
}

/** Art. 15: read what the vendor holds on the person. */
export type AccessPull = SubjectRef;

/** One record the vendor holds on the person, as read for an access request (values as the vendor has them). */
export interface RemotePersonRecord {
  remoteId: string;
  recordType: string;
  fields: Record<string, string | number | boolean | null>;
}

/** Non-personal facts of what a request operation did at the vendor: the proof kept per processor. */
export type OperationEvidence = Record<string, string | number | boolean | null | string[]>;

/**
 * The outcome of one request operation. `awaiting_confirmation`: the processor accepted the request and will
 * confirm asynchronously (a webhook processor's signed callback).
 */
export type RequestOutcome =
  | {
      deliveryId: string;
      outcome: 'succeeded';
      records?: RemoteRecordRef[];
      vendorReference?: string | null;
      /** e.g. { erasure_mode_used, fields_affected, records_erased }: never identifier values. */
      evidence?: OperationEvidence;
      /** Access only: what the vendor holds. */
      data?: RemotePersonRecord[];
    }
  | {
      deliveryId: string;
      outcome: 'awaiting_confirmation';
      vendorReference?: string | null;
      evidence?: OperationEvidence;
    }
  | { deliveryId: string; outcome: 'skipped'; reason: string }
  | { deliveryId: string; outcome: 'failed'; error: ConnectorError };

/** A phone value exactly as the record holds it, and the field it is in. */
export interface RemotePhone {
  field: string;
  value: string;
}

/** A record the vendor holds, as read for a backfill or a sync. Values are as typed: the gateway normalises. */
export interface RemoteContact {
  remoteId: string;
  /** What the record is at the vendor ('contact' at HubSpot; 'Contact' or 'Lead' at Salesforce). */
  recordType: string;
  /** Every non-empty phone field of the record, as typed. */
  phones: RemotePhone[];
  email: string | null;
  /** The record's own country (ISO 3166 alpha-2), for numbers typed in national form; null: none. */
  region: string | null;
  /**
   * When the vendor last saw the record change (HubSpot lastmodifieddate, Salesforce SystemModstamp; ISO). A
   * consent the record claims to have been captured later than this (or in the future) is clamped to it.
   */
  observedAt: string | null;
  /** The consent the vendor shows for WhatsApp marketing, if any. */
  consent: {
    status: ConsentStatus;
    capturedAt: string;
    scope: string | null;
    ownWriteEventId: string | null;
  } | null;
  /** Fields whose values could not be read (an unparseable timestamp): skipped and counted, never stalling. */
  unreadable: { field: string; reason: string }[];
}

export interface RemotePage {
  contacts: RemoteContact[];
  /** Opaque cursor of the next page; null at the end. */
  next: string | null;
}

export interface TestResult {
  ok: boolean;
  detail: string;
}

/** Credentials changed during a call (a refresh): the caller persists them. */
export type CredentialsListener = (credentials: ConnectionCredentials) => Promise<void>;

/**
 * One port per external capability: everything the gateway does at a processor goes through this.
 * Implementations classify every failure once, as a ConnectorError subclass.
 */
export interface Connector {
  /** Creates what the gateway needs at the vendor (consent properties, channel and purpose records). */
  ensureSetup(): Promise<Record<string, unknown>>;
  /** Applies each person's current state. Per-item failures are returned; a failure of the whole call throws. */
  pushConsent(items: ConsentPush[]): Promise<PushOutcome[]>;
  test(): Promise<TestResult>;
  /** Pages through every contact (backfill). */
  listContacts(cursor: string | null, pageSize: number): Promise<RemotePage>;
  /** How many contacts listContacts will page through, where the vendor counts them cheaply (backfill progress). */
  countContacts?(): Promise<number | null>;
  /** The account the credentials reach (HubSpot portal id), asked before a connection is created. */
  accountId?(): Promise<string | null>;
  /**
   * Data-subject request operations. Each is idempotent (a record already erased, already restricted or
   * already rectified is a success), returns one outcome per item, and throws only for a failure of the whole
   * call. A person with no record at the vendor is `skipped` with NOT_FOUND_AT_VENDOR.
   */
  erase(items: ErasurePush[]): Promise<RequestOutcome[]>;
  restrict(items: RestrictionPush[]): Promise<RequestOutcome[]>;
  rectify(items: RectificationPush[]): Promise<RequestOutcome[]>;
  /** Access: `skipped` with NO_READ_API where the vendor cannot be read (a webhook processor). */
  readPerson(items: AccessPull[]): Promise<RequestOutcome[]>;
}

/** Skip reason of an access pull at a processor that offers no way to read its data. @public */
export const NO_READ_API = 'no_read_api';

/**
 * Someone asked the vendor to forget a person (Salesforce: an Individual with ShouldForget set by a CRM user or
 * another integration): the gateway erases them everywhere else. One signal per change at the vendor.
 */
export interface ForgetSignal {
  /** Unique per change (the intake dedupes a poll overlap by it): `<record id>:<change stamp>`. */
  changeKey: string;
  /** The record that carries the request (the Individual). */
  remoteId: string;
  recordType: string;
  /** The records that stand for the person at the vendor (the Individual's Contacts and Leads). */
  records: RemoteRecordRef[];
  /** Identifiers those records hold, as typed, to match a person the gateway has not linked yet. */
  identities: { kind: 'phone' | 'email'; value: string; region: string | null }[];
}

/** Consent edits made at the vendor since a cursor, and the cursor to resume from. */
export interface ChangeBatch {
  changes: RemoteContact[];
  cursor: string;
  /** Requests to forget a person made at the vendor since the cursor (vendors that have such a flag). */
  forgetSignals?: ForgetSignal[];
}

/**
 * Optional capability: a connector that can list the consent edits made at the vendor (a poll; vendors that
 * push their changes, like HubSpot's webhooks, do not need it). A null cursor starts from now, without history.
 */
export interface ChangePoller {
  /** What the remote id of a change names (kept as evidence on the ledger event). */
  readonly changeRecordKind: string;
  pollChanges(cursor: string | null): Promise<ChangeBatch>;
}

/** Whether a connector offers the change poll. Capabilities are asked for, never read from a class. */
export function canPollChanges(connector: Connector): connector is Connector & ChangePoller {
  return typeof (connector as Partial<ChangePoller>).pollChanges === 'function';
}

export type ConnectorErrorClass = 'rate_limited' | 'auth_expired' | 'transient' | 'permanent';

export abstract class ConnectorError extends Error {
  abstract readonly errorClass: ConnectorErrorClass;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Re-schedule at retryAfterMs without spending an attempt. */
export class RateLimitedError extends ConnectorError {
  readonly errorClass = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** Refresh the token and retry once. */
export class AuthExpiredError extends ConnectorError {
  readonly errorClass = 'auth_expired';
}

/** 5xx, timeouts, resets: back off exponentially with jitter. */
export class TransientError extends ConnectorError {
  readonly errorClass = 'transient';
}

/** Will not succeed by retrying: dead, with the reason shown, and a manual retry. */
export class PermanentError extends ConnectorError {
  readonly errorClass = 'permanent';
}

/** The connection's credentials cannot be renewed: it is marked auth_failed. */
export class AuthFailedError extends ConnectorError {
  readonly errorClass = 'permanent';
}

/** What the gateway gives every connector it builds. */
export interface ConnectorDeps {
  /** Persist credentials that changed (a refreshed token). */
  onCredentials: CredentialsListener;
  /** Called before every token refresh; throws AuthFailedError when refreshes come too often (loop guard). */
  beforeRefresh: () => Promise<void>;
  /** Called before every HTTP request to the vendor: waits for the connection's rate budget. */
  pace: () => Promise<void>;
  /** OAuth client of the gateway's app at this vendor (null when not configured: private-app tokens only). */
  oauthClient: { clientId: string; clientSecret: string } | null;
  /**
   * The gateway's public URL (PUBLIC_BASE_URL): where a processor sends its signed confirmation of an erasure
   * (`${publicBaseUrl}/v1/processors/${connectionId}/confirmations`).
   */
  publicBaseUrl: string;
  /**
   * The SSRF guard every request to the vendor goes through: its agents check each connection (redirect hops
   * included) against OUTBOUND_ALLOWLIST and the address rules.
   */
  outbound: OutboundGuard;
}
