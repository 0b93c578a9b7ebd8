/**
 * In-memory state of the HubSpot simulator: portals (HubSpot accounts) with their contacts, contact
 * properties, subscription definitions and communication preferences, plus tokens, faults and a call log.
 */

export interface ContactRecord {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export interface PropertyOption {
  label: string;
  value: string;
  description?: string;
  displayOrder?: number;
  hidden?: boolean;
}

export interface PropertyDefinition {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  description: string;
  options: PropertyOption[];
  hasUniqueValue: boolean;
  hubspotDefined: boolean;
  readOnly: boolean;
  createdAt: string;
  updatedAt: string;
  displayOrder: number;
  hidden: boolean;
  formField: boolean;
  calculated: boolean;
  externalOptions: boolean;
}

export interface SubscriptionDefinition {
  id: string;
  name: string;
  description: string;
  purpose: string;
  /** v3 spells it `Email`; the WhatsApp definition exists only for the v4 WHATSAPP flag (unconfirmed). */
  communicationMethod: string;
  /** v4 channel this definition belongs to. */
  channel: 'EMAIL' | 'WHATSAPP';
  isActive: boolean;
  isDefault: boolean;
  isInternal: boolean;
  createdAt: string;
  updatedAt: string;
  businessUnitId: number;
}

export type SubscriptionState = 'SUBSCRIBED' | 'UNSUBSCRIBED';

export interface SubscriptionStatusRecord {
  state: SubscriptionState;
  legalBasis?: string;
  legalBasisExplanation?: string;
  timestamp: string;
  source: string;
}

export interface PortalState {
  portalId: number;
  hubDomain: string;
  appId: number;
  contacts: Map<string, ContactRecord>;
  /**
   * Country (ISO alpha-2) HubSpot reads national phone numbers in when a contact has no
   * `hs_country_region_code`; undefined = none (such numbers get no calculated phone values).
   */
  defaultCountry?: string;
  /** Lower-cased email → contact id (emails are unique per portal, case-insensitively). */
  emailIndex: Map<string, string>;
  nextContactId: number;
  /** Numeric contact ids ascending, rebuilt lazily after creates/deletes (list paging). */
  sortedIds: number[] | null;
  properties: Map<string, PropertyDefinition>;
  subscriptionDefinitions: SubscriptionDefinition[];
  /** `${channel}:${subscriber lower-cased}` → subscriptionId → status. */
  preferences: Map<string, Map<string, SubscriptionStatusRecord>>;
  /** `${channel}:${subscriber lower-cased}` → time of the portal-wide opt-out. */
  unsubscribedFromAll: Map<string, string>;
  /** Emails removed by GDPR delete: HubSpot blocklists them (they cannot be re-added). */
  gdprBlocklist: Set<string>;
  /** Contact ids removed by GDPR delete. */
  gdprDeletedIds: Set<string>;
  /** Request times inside the rolling burst window (ms). */
  burstWindow: number[];
  /** Search request times inside the secondly search window (ms). */
  searchWindow: number[];
  /** Day (UTC yyyy-mm-dd) and count for the daily limit. */
  daily: { day: string; count: number };
  /** Webhook events produced by API calls, waiting for `takeWebhookEvents()`. */
  webhookOutbox: WebhookEvent[];
}

export interface TokenRecord {
  token: string;
  kind: 'oauth' | 'private_app';
  portalId: number;
  scopes: string[];
  /** Epoch ms, or null for private-app tokens (never expire). */
  expiresAt: number | null;
  refreshToken?: string;
  clientId?: string;
  userId: number;
  user: string;
}

export interface RefreshTokenRecord {
  token: string;
  portalId: number;
  scopes: string[];
  clientId: string;
  userId: number;
  user: string;
  revoked: boolean;
}

export interface AuthCodeRecord {
  code: string;
  portalId: number;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  expiresAt: number;
}

export type FaultKind = '500' | 'timeout' | '429' | 'expire_tokens' | 'refresh_fails';
export const FAULT_KINDS: readonly FaultKind[] = ['500', 'timeout', '429', 'expire_tokens', 'refresh_fails'];

export interface Fault {
  kind: FaultKind;
  /** Matching requests left to affect. */
  remaining: number;
  /** Substring of the request path (incl. query) a request must contain to match. */
  path?: string;
}

export interface CallLogEntry {
  at: string;
  method: string;
  path: string;
  status: number;
  portalId?: number;
  fault?: FaultKind;
  durationMs: number;
}

export interface CallLog {
  total: number;
  byStatus: Record<string, number>;
  rateLimited: number;
  faultsInjected: number;
  /** The most recent entries (bounded). */
  recent: CallLogEntry[];
}

/** A webhook event in HubSpot's v3 payload shape (fields per the AsyncAPI in api-evangelist/hubspot). */
export interface WebhookEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType: string;
  attemptNumber: number;
  objectId: number;
  propertyName?: string;
  propertyValue?: string;
  changeSource?: string;
  sourceId?: string;
  changeFlag?: string;
  [key: string]: unknown;
}

export const DEFAULT_SCOPES = [
  'oauth',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
  'communication_preferences.read_write',
  'communication_preferences.statuses.batch.read',
  'communication_preferences.statuses.batch.write',
];

const SIM_EPOCH = '2024-01-01T00:00:00.000Z';

function property(
  name: string,
  label: string,
  type: string,
  fieldType: string,
  extra: Partial<PropertyDefinition> = {},
): PropertyDefinition {
  return {
    name,
    label,
    type,
    fieldType,
    groupName: 'contactinformation',
    description: '',
    options: [],
    hasUniqueValue: false,
    hubspotDefined: true,
    readOnly: false,
    createdAt: SIM_EPOCH,
    updatedAt: SIM_EPOCH,
    displayOrder: -1,
    hidden: false,
    formField: true,
    calculated: false,
    externalOptions: false,
    ...extra,
  };
}

const BOOL_OPTIONS: PropertyOption[] = [
  { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
  { label: 'No', value: 'false', displayOrder: 1, hidden: false },
];

/** The HubSpot-defined contact properties the gateway touches (a small subset of a real portal). */
export function defaultProperties(includeWhatsAppPhone: boolean): PropertyDefinition[] {
  const list = [
    property('email', 'Email', 'string', 'text', { hasUniqueValue: false }),
    property('firstname', 'First Name', 'string', 'text'),
    property('lastname', 'Last Name', 'string', 'text'),
    property('phone', 'Phone Number', 'string', 'phonenumber'),
    property('mobilephone', 'Mobile Phone Number', 'string', 'phonenumber'),
    property('company', 'Company Name', 'string', 'text'),
    // More of HubSpot's default contact properties holding personal data (internal names as HubSpot documents
    // its default contact properties); a mask_fields erasure blanks them and an access request reads them.
    property('salutation', 'Salutation', 'string', 'text'),
    property('jobtitle', 'Job Title', 'string', 'text'),
    property('address', 'Street Address', 'string', 'text'),
    property('city', 'City', 'string', 'text'),
    property('state', 'State/Region', 'string', 'text'),
    property('zip', 'Postal Code', 'string', 'text'),
    property('country', 'Country/Region', 'string', 'text'),
    property('fax', 'Fax Number', 'string', 'text'),
    property('website', 'Website URL', 'string', 'text'),
    property('date_of_birth', 'Date of birth', 'string', 'text'),
    // ISO alpha-2; HubSpot reads national-form phone numbers of the contact in this country.
    property('hs_country_region_code', 'Country/Region Code', 'string', 'text'),
    property('hs_object_id', 'Record ID', 'number', 'number', { readOnly: true, hasUniqueValue: true }),
    property('createdate', 'Create Date', 'datetime', 'date', { readOnly: true }),
    property('lastmodifieddate', 'Last Modified Date', 'datetime', 'date', { readOnly: true }),
    property('hs_email_optout', 'Unsubscribed from all email', 'enumeration', 'booleancheckbox', {
      options: BOOL_OPTIONS,
      readOnly: true,
    }),
    property('hs_searchable_calculated_phone_number', 'Searchable phone number', 'string', 'text', {
      readOnly: true,
      calculated: true,
    }),
    property('hs_searchable_calculated_mobile_number', 'Searchable mobile number', 'string', 'text', {
      readOnly: true,
      calculated: true,
    }),
    property('hs_searchable_calculated_international_phone_number', 'International phone', 'string', 'text', {
      readOnly: true,
      calculated: true,
    }),
    property(
      'hs_searchable_calculated_international_mobile_number',
      'International mobile',
      'string',
      'text',
      {
        readOnly: true,
        calculated: true,
      },
    ),
  ];
  // `hs_whatsapp_phone_number` is widely used but undocumented (reference: unconfirmed); present by default,
  // switch it off with `whatsappPhoneProperty: false` to rehearse a portal without it.
  if (includeWhatsAppPhone)
    list.push(property('hs_whatsapp_phone_number', 'WhatsApp Phone Number', 'string', 'phonenumber'));
  return list;
}

/** Subscription types of a fresh portal. ids are numeric strings (v3 strings, v4 integers). */
export function defaultSubscriptionDefinitions(now: string): SubscriptionDefinition[] {
  const base = { isActive: true, isInternal: false, createdAt: now, updatedAt: now, businessUnitId: 0 };
  return [
    {
      ...base,
      id: '1001',
      name: 'Marketing Information',
      description: 'Marketing offers and updates.',
      purpose: 'Marketing',
      communicationMethod: 'Email',
      channel: 'EMAIL',
      isDefault: true,
    },
    {
      ...base,
      id: '1002',
      name: 'Customer Service Communication',
      description: 'Feedback requests and service updates.',
      purpose: 'Customer Service',
      communicationMethod: 'Email',
      channel: 'EMAIL',
      isDefault: false,
    },
    {
      ...base,
      id: '1003',
      name: 'One to One',
      description: 'One to one emails.',
      purpose: 'Sales',
      communicationMethod: 'Email',
      channel: 'EMAIL',
      isDefault: false,
      isInternal: true,
    },
    {
      // Only served through v4 when WHATSAPP is allowed: the WhatsApp API surface is unconfirmed.
      ...base,
      id: '2001',
      name: 'WhatsApp Marketing',
      description: 'Marketing messages on WhatsApp.',
      purpose: 'Marketing',
      communicationMethod: 'WhatsApp',
      channel: 'WHATSAPP',
      isDefault: false,
    },
  ];
}

export function newPortal(
  portalId: number,
  appId: number,
  now: string,
  includeWhatsAppPhone: boolean,
): PortalState {
  const definitions = defaultSubscriptionDefinitions(now);
  return {
    portalId,
    hubDomain: `sandbox-${portalId}.hubspot.local`,
    appId,
    contacts: new Map(),
    emailIndex: new Map(),
    nextContactId: 101,
    sortedIds: null,
    properties: new Map(
      [
        ...defaultProperties(includeWhatsAppPhone),
        // One read-only `hs_email_optout_<subscriptionId>` per email subscription type, as in a real portal.
        ...definitions
          .filter((d) => d.channel === 'EMAIL')
          .map((d) =>
            property(
              `hs_email_optout_${d.id}`,
              `Opted out of email: ${d.name}`,
              'enumeration',
              'booleancheckbox',
              {
                options: BOOL_OPTIONS,
                readOnly: true,
              },
            ),
          ),
      ].map((p) => [p.name, p]),
    ),
    subscriptionDefinitions: definitions,
    preferences: new Map(),
    unsubscribedFromAll: new Map(),
    gdprBlocklist: new Set(),
    gdprDeletedIds: new Set(),
    burstWindow: [],
    searchWindow: [],
    daily: { day: now.slice(0, 10), count: 0 },
    webhookOutbox: [],
  };
}
