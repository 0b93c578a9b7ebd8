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
}

/** One consent state of the person, as the connector must apply it: the ledger's state in force. */
export type ConsentStateSnapshot = ConsentStateInForce;

/** One person's current state, to be applied at the connection (state, not deltas: idempotent). */
export interface ConsentPush {
  deliveryId: string;
  subjectId: string;
  phone: string | null;
  waId: string | null;
  email: string | null;
  /** The record that stands for this person at this connection, when known. */
  remoteId: string | null;
  states: ConsentStateSnapshot[];
}

export type PushOutcome =
  | {
      deliveryId: string;
      outcome: 'succeeded';
      remoteId?: string | null;
      vendorReference?: string | null;
      pushed?: Record<string, unknown>;
    }
  | { deliveryId: string; outcome: 'skipped'; reason: string }
  | { deliveryId: string; outcome: 'failed'; error: ConnectorError };

/** A record the vendor holds, as read for a backfill or a sync. */
export interface RemoteContact {
  remoteId: string;
  phone: string | null;
  email: string | null;
  /** The consent the vendor shows for WhatsApp marketing, if any. */
  consent: {
    status: ConsentStatus;
    capturedAt: string;
    scope: string | null;
    ownWriteEventId: string | null;
  } | null;
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
}

/** Consent edits made at the vendor since a cursor, and the cursor to resume from. */
export interface ChangeBatch {
  changes: RemoteContact[];
  cursor: string;
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
}
