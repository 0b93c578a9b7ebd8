/**
 * The slice of org metadata the simulator knows: the consent objects of Data Protection and Privacy plus Contact and
 * Lead. Key prefixes for Individual (0PK), Contact (003), Lead (00Q) and ContactPointTypeConsent (0ZY) follow the
 * reference; those of DataUsePurpose, EngagementChannelType, ContactPointPhone and ContactPointEmail are assumptions.
 * Contact and Lead carry the personal fields an erasure masks and an access request reads (name, title, address).
 *
 * Phone fields are stored exactly as written (Salesforce does not normalise them; only the US-locale UI formats
 * what a person types), so the simulator never rewrites a stored value.
 */

export type FieldType =
  'id' | 'string' | 'email' | 'phone' | 'boolean' | 'datetime' | 'date' | 'reference' | 'picklist';

export interface FieldDef {
  name: string;
  type: FieldType;
  /** Required on create (not nillable, no default). */
  required?: boolean;
  /** System-maintained: cannot be written through the API. */
  readonly?: boolean;
  /** For references: the object types the id may point to. */
  referenceTo?: string[];
  /** For picklists: the allowed values; `restricted` makes other values an error. */
  values?: string[];
  restricted?: boolean;
  /** API version the field appeared in. */
  minVersion?: number;
}

export interface ObjectDef {
  name: string;
  keyPrefix: string;
  /** API version the object appeared in. */
  minVersion: number;
  fields: FieldDef[];
  /** Computes derived fields (compound Name) after a write. */
  derive?: (record: Record<string, unknown>) => void;
}

const CONTACT_POINT_TYPES = ['Email', 'MailingAddress', 'Phone', 'Social', 'Web'];
const CHANNEL_CONTACT_POINT_TYPES = [
  'Email',
  'InPerson',
  'MailingAddress',
  'Phone',
  'Social',
  'Video',
  'Web',
];
/** Unconfirmed against a real org (the reference says: check with describe). */
const PRIVACY_CONSENT_STATUSES = ['NotSeen', 'Seen', 'OptIn', 'OptOut'];

const SYSTEM_FIELDS: FieldDef[] = [
  { name: 'Id', type: 'id', readonly: true },
  { name: 'IsDeleted', type: 'boolean', readonly: true },
  { name: 'CreatedDate', type: 'datetime', readonly: true },
  { name: 'CreatedById', type: 'reference', readonly: true, referenceTo: ['User'] },
  { name: 'LastModifiedDate', type: 'datetime', readonly: true },
  { name: 'LastModifiedById', type: 'reference', readonly: true, referenceTo: ['User'] },
  { name: 'SystemModstamp', type: 'datetime', readonly: true },
];

const OWNED: FieldDef[] = [{ name: 'OwnerId', type: 'reference', readonly: true, referenceTo: ['User'] }];

const personName = (record: Record<string, unknown>) => {
  const parts = [record.FirstName, record.LastName].filter((p) => typeof p === 'string' && p !== '');
  record.Name = parts.join(' ');
};

const LEGACY_OPT_OUTS: FieldDef[] = [
  { name: 'HasOptedOutOfEmail', type: 'boolean' },
  { name: 'HasOptedOutOfFax', type: 'boolean' },
  { name: 'DoNotCall', type: 'boolean' },
  { name: 'IndividualId', type: 'reference', referenceTo: ['Individual'] },
];

/**
 * ISO codes the simulated org's state-and-country picklists offer (a subset of Salesforce's default list). With the
 * picklists enabled, Salesforce refuses a code outside the list; the simulator keeps the code and the text field
 * (Country / MailingCountry) independent and stores both exactly as written (stricter than an org that fills one
 * from the other: a reader must not rely on both being set).
 */
export const COUNTRY_CODES = 'AT AU BE BR CA CH DE DK ES FR GB IE IN IT JP MX NL NO PL PT SE US'.split(' ');

const PERSON: FieldDef[] = [
  { name: 'FirstName', type: 'string' },
  { name: 'LastName', type: 'string', required: true },
  { name: 'Name', type: 'string', readonly: true },
  { name: 'Email', type: 'email' },
  { name: 'Phone', type: 'phone' },
  { name: 'MobilePhone', type: 'phone' },
];

export const OBJECTS: Record<string, ObjectDef> = {
  Individual: {
    name: 'Individual',
    keyPrefix: '0PK',
    minVersion: 42,
    derive: personName,
    fields: [
      ...SYSTEM_FIELDS,
      ...OWNED,
      { name: 'FirstName', type: 'string' },
      { name: 'LastName', type: 'string', required: true },
      { name: 'Name', type: 'string', readonly: true },
      { name: 'Salutation', type: 'string' },
      { name: 'BirthDate', type: 'date' },
      { name: 'HasOptedOutSolicit', type: 'boolean' },
      { name: 'HasOptedOutProcessing', type: 'boolean' },
      { name: 'HasOptedOutProfiling', type: 'boolean' },
      { name: 'HasOptedOutTracking', type: 'boolean' },
      { name: 'HasOptedOutGeoTracking', type: 'boolean' },
      { name: 'ShouldForget', type: 'boolean' },
      { name: 'SendIndividualData', type: 'boolean' },
      { name: 'CanStorePiiElsewhere', type: 'boolean' },
    ],
  },
  Contact: {
    name: 'Contact',
    keyPrefix: '003',
    minVersion: 1,
    derive: personName,
    fields: [
      ...SYSTEM_FIELDS,
      ...OWNED,
      ...PERSON,
      ...LEGACY_OPT_OUTS,
      { name: 'AccountId', type: 'reference', referenceTo: ['Account'] },
      { name: 'Title', type: 'string' },
      { name: 'Birthdate', type: 'date' },
      { name: 'MailingStreet', type: 'string' },
      { name: 'MailingCity', type: 'string' },
      { name: 'MailingState', type: 'string' },
      { name: 'MailingPostalCode', type: 'string' },
      { name: 'MailingCountry', type: 'string' },
      { name: 'MailingCountryCode', type: 'picklist', values: COUNTRY_CODES, restricted: true },
    ],
  },
  Lead: {
    name: 'Lead',
    keyPrefix: '00Q',
    minVersion: 1,
    derive: personName,
    fields: [
      ...SYSTEM_FIELDS,
      ...OWNED,
      ...PERSON,
      ...LEGACY_OPT_OUTS,
      { name: 'Company', type: 'string', required: true },
      { name: 'Title', type: 'string' },
      { name: 'Street', type: 'string' },
      { name: 'City', type: 'string' },
      { name: 'State', type: 'string' },
      { name: 'PostalCode', type: 'string' },
      { name: 'Country', type: 'string' },
      { name: 'CountryCode', type: 'picklist', values: COUNTRY_CODES, restricted: true },
      // Set by lead conversion in a real org; writable here so tests can seed converted leads.
      { name: 'IsConverted', type: 'boolean' },
      {
        name: 'Status',
        type: 'picklist',
        values: [
          'Open - Not Contacted',
          'Working - Contacted',
          'Closed - Converted',
          'Closed - Not Converted',
        ],
      },
    ],
  },
  ContactPointTypeConsent: {
    name: 'ContactPointTypeConsent',
    keyPrefix: '0ZY',
    minVersion: 45,
    fields: [
      ...SYSTEM_FIELDS,
      ...OWNED,
      { name: 'Name', type: 'string', required: true },
      { name: 'PartyId', type: 'reference', referenceTo: ['Individual'] },
      { name: 'ContactPointType', type: 'picklist', values: CONTACT_POINT_TYPES, restricted: true },
      { name: 'DataUsePurposeId', type: 'reference', referenceTo: ['DataUsePurpose'] },
      { name: 'PrivacyConsentStatus', type: 'picklist', values: PRIVACY_CONSENT_STATUSES, restricted: true },
      { name: 'EffectiveFrom', type: 'datetime' },
      { name: 'EffectiveTo', type: 'datetime' },
      { name: 'CaptureDate', type: 'datetime' },
      { name: 'CaptureSource', type: 'string' },
      { name: 'CaptureContactPointType', type: 'picklist', values: CONTACT_POINT_TYPES, restricted: true },
      { name: 'DoubleConsentCaptureDate', type: 'datetime' },
      { name: 'EngagementChannelTypeId', type: 'reference', referenceTo: ['EngagementChannelType'] },
      { name: 'BusinessBrandId', type: 'reference', referenceTo: ['BusinessBrand'], minVersion: 53 },
    ],
  },
  ContactPointPhone: {
    name: 'ContactPointPhone',
    keyPrefix: '0OP',
    minVersion: 48,
    fields: [
      ...SYSTEM_FIELDS,
      ...OWNED,
      // Salesforce also allows a Person Account as parent; the simulator models Individuals only.
      { name: 'ParentId', type: 'reference', referenceTo: ['Individual'], required: true },
      { name: 'TelephoneNumber', type: 'phone' },
      { name: 'FormattedInternationalPhoneNumber', type: 'string', readonly: true },
      { name: 'AreaCode', type: 'string' },
      { name: 'ExtensionNumber', type: 'string' },
      { name: 'IsSmsCapable', type: 'boolean' },
      { name: 'IsPersonalPhone', type: 'boolean' },
      { name: 'IsPrimary', type: 'boolean' },
      // Values unconfirmed against a real org's describe.
      { name: 'PhoneType', type: 'picklist', values: ['Home', 'Mobile', 'Work', 'Fax', 'Other'] },
      { name: 'ActiveFromDate', type: 'date' },
      { name: 'ActiveToDate', type: 'date' },
      { name: 'UsageType', type: 'string' },
    ],
  },
  ContactPointEmail: {
    name: 'ContactPointEmail',
    keyPrefix: '9PE',
    minVersion: 48,
    fields: [
      ...SYSTEM_FIELDS,
      ...OWNED,
      // As ContactPointPhone: Individuals only (Salesforce also allows a Person Account).
      { name: 'ParentId', type: 'reference', referenceTo: ['Individual'], required: true },
      { name: 'EmailAddress', type: 'email' },
      { name: 'IsPrimary', type: 'boolean' },
      { name: 'ActiveFromDate', type: 'date' },
      { name: 'ActiveToDate', type: 'date' },
      { name: 'UsageType', type: 'string' },
    ],
  },
  DataUsePurpose: {
    name: 'DataUsePurpose',
    keyPrefix: '0ZW',
    minVersion: 45,
    fields: [
      ...SYSTEM_FIELDS,
      { name: 'Name', type: 'string', required: true },
      { name: 'Description', type: 'string' },
      { name: 'CanDataSubjectOptOut', type: 'boolean' },
      { name: 'LegalBasisId', type: 'reference', referenceTo: ['BusinessBrand'] },
    ],
  },
  EngagementChannelType: {
    name: 'EngagementChannelType',
    keyPrefix: '0eB',
    minVersion: 48,
    fields: [
      ...SYSTEM_FIELDS,
      ...OWNED,
      { name: 'Name', type: 'string', required: true },
      { name: 'ContactPointType', type: 'picklist', values: CHANNEL_CONTACT_POINT_TYPES, restricted: true },
      { name: 'IsActive', type: 'boolean' },
      { name: 'UsageType', type: 'string' },
    ],
  },
};

/** Case-insensitive lookup of an object definition (Salesforce object names are case-insensitive in URLs and SOQL). */
export function findObject(name: string): ObjectDef | undefined {
  const lower = name.toLowerCase();
  return Object.values(OBJECTS).find((o) => o.name.toLowerCase() === lower);
}

/** Case-insensitive lookup of a field, honouring the API version it appeared in. */
export function findField(object: ObjectDef, name: string, version: number): FieldDef | undefined {
  const lower = name.toLowerCase();
  const field = object.fields.find((f) => f.name.toLowerCase() === lower);
  if (!field) return undefined;
  if (field.minVersion && version < field.minVersion) return undefined;
  return field;
}

/** Salesforce's wire format for datetimes: `2026-01-01T12:00:00.000+0000`. */
export function formatSfDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** Parses the datetime forms Salesforce accepts (`Z`, `+0000`, `+00:00`, optional millis); NaN when invalid. */
export function parseSfDateTime(value: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (!m) return Number.NaN;
  let zone = m[4] ?? 'Z';
  if (zone !== 'Z' && !zone.includes(':')) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  return Date.parse(`${m[1]}T${m[2]}${m[3] ?? ''}${zone}`);
}
