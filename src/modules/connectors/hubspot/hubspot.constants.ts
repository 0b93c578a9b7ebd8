/**
 * What the gateway creates and reads at a HubSpot portal. HubSpot has no documented API for WhatsApp
 * subscription status (reference hubspot.md §4), so WhatsApp marketing consent lives in custom contact
 * properties; email subscriptions go through the communication-preferences API.
 */

export const HUBSPOT_PROPERTIES = {
  /** enumeration OPTED_IN | OPTED_OUT | UNKNOWN: the status in force for all the business's numbers. */
  consent: 'wa_marketing_consent',
  /** datetime: when the person made the change (the ledger event's captured_at). */
  updatedAt: 'wa_consent_updated_at',
  /** string: how the change was made (the ledger event's method, e.g. wa_keyword). */
  source: 'wa_consent_source',
  /** string: free text for the DPO (method, legal basis, ledger event id). */
  explanation: 'wa_consent_legal_basis_explanation',
  /** string: the ledger event id the gateway wrote, so it recognises its own writes when they echo back. */
  eventId: 'cg_consent_event_id',
} as const;

export type HubspotConsentValue = 'OPTED_IN' | 'OPTED_OUT' | 'UNKNOWN';

/**
 * HubSpot's built-in contact group. A custom group would need `POST /crm/v3/properties/contacts/groups`
 * first (not served by the sandbox); the properties are recognisable by their `wa_` / `cg_` prefixes.
 */
export const HUBSPOT_PROPERTY_GROUP = 'contactinformation';

export interface HubspotPropertyDefinition {
  name: string;
  label: string;
  description: string;
  type: 'enumeration' | 'datetime' | 'string' | 'bool';
  fieldType: 'select' | 'date' | 'text' | 'booleancheckbox';
  options?: { label: string; value: string; displayOrder: number }[];
}

/**
 * Art. 18: whether the person's processing is restricted (set true / false by restriction deliveries). A HubSpot
 * `bool` property (fieldType booleancheckbox, options "true"/"false", as HubSpot documents boolean properties), so
 * that lists, workflows and reports can exclude restricted contacts.
 */
export const HUBSPOT_RESTRICTED_PROPERTY = 'consent_gateway_processing_restricted';

/**
 * `wa_consent_source` while a restriction shows the consent property as OPTED_OUT: that value is the gateway's
 * restriction marker, not a consent (the mapper reads no consent from it).
 */
export const HUBSPOT_RESTRICTION_SOURCE = 'processing_restricted';

export const HUBSPOT_RESTRICTED_DEFINITION: HubspotPropertyDefinition = {
  name: HUBSPOT_RESTRICTED_PROPERTY,
  label: 'Processing restricted (GDPR Art. 18)',
  description:
    'Set by Consent Gateway: the person asked for their processing to be restricted. While true, use the record for storage only; no marketing.',
  type: 'bool',
  fieldType: 'booleancheckbox',
  options: [
    { label: 'Yes', value: 'true', displayOrder: 0 },
    { label: 'No', value: 'false', displayOrder: 1 },
  ],
};

export const HUBSPOT_PROPERTY_DEFINITIONS: readonly HubspotPropertyDefinition[] = [
  {
    name: HUBSPOT_PROPERTIES.consent,
    label: 'WhatsApp marketing consent',
    description:
      'Set by Consent Gateway: whether the person may receive WhatsApp marketing from any of the business numbers.',
    type: 'enumeration',
    fieldType: 'select',
    options: [
      { label: 'Opted in', value: 'OPTED_IN', displayOrder: 0 },
      { label: 'Opted out', value: 'OPTED_OUT', displayOrder: 1 },
      { label: 'Unknown', value: 'UNKNOWN', displayOrder: 2 },
    ],
  },
  {
    name: HUBSPOT_PROPERTIES.updatedAt,
    label: 'WhatsApp consent updated at',
    description: 'Set by Consent Gateway: when the person last changed their WhatsApp marketing consent.',
    type: 'datetime',
    fieldType: 'date',
  },
  {
    name: HUBSPOT_PROPERTIES.source,
    label: 'WhatsApp consent source',
    description: 'Set by Consent Gateway: how the consent change was made (e.g. wa_keyword, web_form).',
    type: 'string',
    fieldType: 'text',
  },
  {
    name: HUBSPOT_PROPERTIES.explanation,
    label: 'WhatsApp consent legal basis explanation',
    description: 'Set by Consent Gateway: method, legal basis and the ledger event that holds the evidence.',
    type: 'string',
    fieldType: 'text',
  },
  {
    name: HUBSPOT_PROPERTIES.eventId,
    label: 'Consent Gateway event id',
    description: 'Set by Consent Gateway: the ledger event last written. Do not edit.',
    type: 'string',
    fieldType: 'text',
  },
  HUBSPOT_RESTRICTED_DEFINITION,
];

/**
 * The contact properties that describe the person (HubSpot's default contact properties holding personal data,
 * by their documented internal names). An access request reads them (with the gateway's own ones); `mask_fields`
 * erasure blanks those the portal has and lets be written. Calculated properties (the `hs_searchable_calculated_*`
 * phones) follow the phones they are calculated from.
 */
export const HUBSPOT_PERSONAL_PROPERTIES = [
  'email',
  'firstname',
  'lastname',
  'salutation',
  'phone',
  'mobilephone',
  'hs_whatsapp_phone_number',
  'fax',
  'address',
  'city',
  'state',
  'zip',
  'country',
  'hs_country_region_code',
  'company',
  'jobtitle',
  'website',
  'date_of_birth',
] as const;

/** HubSpot's own record times, read for an access request (when the record was created and last changed). */
export const HUBSPOT_RECORD_TIME_PROPERTIES = ['createdate', 'lastmodifieddate'] as const;

/**
 * Contact properties searched for a person's phone (E.164), in order of preference when reading one back.
 * `hs_whatsapp_phone_number` is widely used but undocumented (reference §3): `ensureSetup` checks it
 * exists and records the usable list in the connection mapping (`phoneProperties`).
 */
export const HUBSPOT_PHONE_PROPERTIES = ['hs_whatsapp_phone_number', 'mobilephone', 'phone'] as const;

/** Batch endpoints take at most 100 inputs (reference §3); the SDK does not chunk. */
export const HUBSPOT_BATCH_LIMIT = 100;
/** Values per IN filter (HubSpot's documented cap for IN). */
export const HUBSPOT_SEARCH_IN_LIMIT = 100;
/** Search filter groups per request (HubSpot changelog: 5 groups, 10 filters per group, 25 filters). */
export const HUBSPOT_SEARCH_MAX_GROUPS = 5;
/** Search filters per request, all groups together (same changelog). */
export const HUBSPOT_SEARCH_MAX_FILTERS = 25;
/** A search never pages past 10,000 results (reference §3): a poll then searches again from its last stamp. */
export const HUBSPOT_SEARCH_MAX_RESULTS = 10_000;
/**
 * How far back a change poll re-reads before its cursor: the search index lags writes by a few seconds
 * (reference §3, polling), so a contact changed just before the last poll may only now be searchable.
 */
export const HUBSPOT_POLL_OVERLAP_MS = 30_000;
/** Changes newer than its cursor that one pollChanges call reports at most; the next call resumes. */
export const HUBSPOT_POLL_MAX_CHANGES = 10_000;
/** Search page size (reference: up to 200, unconfirmed; the sandbox enforces 200). */
export const HUBSPOT_SEARCH_PAGE_SIZE = 200;
/**
 * CRM search: 5 requests per second per portal (reference §7). Spaced at 4 a second, not 5: requests leave
 * 200 ms apart but do not arrive so (a new connection delays the first), and at exactly the limit a
 * rolling window then counts 6; a lookup or a poll makes several searches in a row.
 */
export const HUBSPOT_SEARCH_MIN_INTERVAL_MS = 250;
/** List page size cap (GET /crm/v3/objects/contacts). */
export const HUBSPOT_LIST_LIMIT = 100;

/** Scopes the gateway's app asks for. */
export const HUBSPOT_OAUTH_SCOPES = [
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
  'oauth',
] as const;
/** Asked for as optional: email subscription status (v4). A portal without them still works for WhatsApp. */
export const HUBSPOT_OAUTH_OPTIONAL_SCOPES = [
  'communication_preferences.read_write',
  'communication_preferences.statuses.batch.write',
] as const;

/** Communication-preferences v4 (the only API that writes status idempotently and can resubscribe). */
export const HUBSPOT_PREFERENCES_V4 = '/communication-preferences/v4';

/** An SDK call that hangs longer than this is abandoned as transient (the SDK sets no timeout). */
export const HUBSPOT_REQUEST_TIMEOUT_MS = 20_000;

/** HubSpot's real addresses and published request budget (private app, Free/Starter tier: 100 per 10 s). */
export const HUBSPOT_VENDOR = {
  vendorName: 'HubSpot',
  apiBaseUrl: 'https://api.hubapi.com',
  authBaseUrl: 'https://app.hubspot.com',
  rateLimit: { max: 100, windowMs: 10_000 },
} as const;
