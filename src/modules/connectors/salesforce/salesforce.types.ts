import type { SALESFORCE_TARGETS } from './salesforce.constants';

export type SalesforceTarget = (typeof SALESFORCE_TARGETS)[number];

/** What ensureSetup() returns and the connection keeps in its mapping. */
export interface SalesforceMapping {
  engagementChannelTypeId: string;
  dataUsePurposeId: string;
  /** Record types that stand for people (searched, written through, listed and polled); default ['Contact']. */
  targets: SalesforceTarget[];
}

export type PrivacyConsentStatus = 'OptIn' | 'OptOut';

/** A Contact or Lead as the connector reads it (the country field is the type's own: Mailing… on a Contact). */
export interface PersonRow {
  Id: string;
  IndividualId: string | null;
  FirstName?: string | null;
  LastName?: string | null;
  MobilePhone: string | null;
  Phone: string | null;
  Email?: string | null;
  /** Contact only. */
  MailingCountryCode?: string | null;
  /** Lead only. */
  CountryCode?: string | null;
  /** Lead only: a converted Lead's person lives on in the Contact it became. */
  IsConverted?: boolean | null;
  SystemModstamp?: string | null;
}

/** A Contact or Lead with the type it was read from. */
export type Person = PersonRow & { type: SalesforceTarget };

/** A ContactPointTypeConsent as the connector reads it. */
export interface ConsentRow {
  Id: string;
  PartyId: string | null;
  PrivacyConsentStatus: string | null;
  EffectiveFrom: string | null;
  CaptureDate?: string | null;
  CaptureSource: string | null;
  SystemModstamp?: string | null;
}

/** Salesforce's per-record result of an sObject Collections call. */
export interface SaveResultRow {
  id?: string;
  success: boolean;
  errors: Array<{ statusCode?: string; errorCode?: string; message: string; fields?: string[] }>;
}
