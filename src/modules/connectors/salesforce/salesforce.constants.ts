/**
 * Salesforce API version the gateway speaks. Always passed explicitly: jsforce 3.10.16 defaults to 50.0, and the
 * consent objects need 45.0 (ContactPointTypeConsent) and 48.0 (EngagementChannelType); sObject Collections 42.0.
 */
export const SALESFORCE_API_VERSION = '62.0';

/** Where the OAuth2 endpoints are when a connection names no login_url. */
export const SALESFORCE_DEFAULT_LOGIN_URL = 'https://login.salesforce.com';

/** Scopes asked for in the web-server flow: the REST API, and a refresh token to keep the connection alive. */
export const SALESFORCE_OAUTH_SCOPE = 'api refresh_token';

/** The EngagementChannelType the gateway writes WhatsApp consent on (found, or created, by Name). */
export const WHATSAPP_CHANNEL_NAME = 'WhatsApp';
/** ContactPointType has no WhatsApp value (restricted picklist): a WhatsApp number is a Phone. */
export const WHATSAPP_CONTACT_POINT_TYPE = 'Phone';
/** The DataUsePurpose the gateway writes marketing consent for (found, or created, by Name). */
export const MARKETING_PURPOSE_NAME = 'Marketing';
/** Name of the ContactPointTypeConsent records the gateway creates (Name is required). */
export const CONSENT_RECORD_NAME = 'WhatsApp Marketing';

/**
 * The gateway writes `ConsentGateway:<ledger event id>` into ContactPointTypeConsent.CaptureSource, so that polling
 * recognises its own writes and never turns them back into ledger events (no sync loops).
 */
export const CAPTURE_SOURCE_PREFIX = 'ConsentGateway:';

/** sObject Collections take at most 200 records a call; jsforce only splits larger arrays with allowRecursive. */
export const SALESFORCE_CHUNK_SIZE = 200;

/** Largest page a SOQL query returns at once (Salesforce's default batch size). */
export const SALESFORCE_MAX_PAGE_SIZE = 2000;

/**
 * REQUEST_LIMIT_EXCEEDED (403) means the org's rolling 24-hour API allowance is spent (or too many long-running
 * requests): back the whole connection off for a long while instead of retrying into it.
 */
export const REQUEST_LIMIT_BACKOFF_MS = 15 * 60_000;

/** jsforce's own fetch timeout is 30 minutes and cannot be set per connection: every call is bounded here. */
export const SALESFORCE_REQUEST_TIMEOUT_MS = 30_000;

/** Refreshes allowed per unit of work: one, so "refresh OK but 401 persists" ends instead of looping (jsforce #830). */
export const MAX_REFRESHES_PER_UNIT_OF_WORK = 1;

/** Record types a connection may write consent through (set per connection in mapping.targets). */
export const SALESFORCE_TARGETS = ['Contact', 'Lead'] as const;

/** Salesforce's login address (the API is the org's instance_url) and the budget the gateway keeps to. */
export const SALESFORCE_VENDOR = {
  vendorName: 'Salesforce',
  apiBaseUrl: null,
  authBaseUrl: 'https://login.salesforce.com',
  rateLimit: { max: 25, windowMs: 1_000 },
} as const;

/**
 * What a masking erasure writes into the required name fields (Contact/Lead/Individual LastName, Lead Company): a
 * fixed text, never derived from the person. The change poll recognises an Individual carrying it as the gateway's
 * own erasure, not a CRM user's request to forget someone.
 */
export const ERASED_MARKER = 'Erased (Consent Gateway)';

/** Contact points of an Individual the org may use (each queried only if the org has the object). */
export const CONTACT_POINT_TYPES = ['ContactPointPhone', 'ContactPointEmail'] as const;
