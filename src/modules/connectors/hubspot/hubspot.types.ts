/** What `ensureSetup` records in the connection mapping, and what the connector reads back from it. */
export interface HubspotMapping {
  /** The HubSpot account (portal / hub) id, from the account details. */
  portalId: string | null;
  /** The consent properties the gateway writes (all exist after setup). */
  properties: string[];
  propertyGroup: string;
  /** Phone properties that exist in this portal, searched with IN. */
  phoneProperties: string[];
  /** The email marketing subscription type (v4 id); null when none was found or the scope is missing. */
  emailSubscriptionId: string | null;
}

/** The properties written for one person (all values are strings, as HubSpot stores them). */
export type HubspotConsentProperties = Record<string, string>;

/** One email subscription change for one person (v4, channel EMAIL). */
export interface HubspotEmailStatus {
  statusState: 'SUBSCRIBED' | 'UNSUBSCRIBED';
  legalBasis: string;
  legalBasisExplanation: string;
}

/** A HubSpot webhook event (v3 payload), as the gateway uses it. */
export interface HubspotWebhookEvent {
  /** HubSpot's event id, as a string (dedupe key). */
  eventId: string;
  portalId: number;
  /** The contact (object) id, as a string like every v3 CRM id. */
  objectId: string;
  subscriptionType: string;
  propertyName?: string;
  propertyValue?: string;
  /** ISO time the change happened (HubSpot sends ms epoch). */
  occurredAt: string;
  changeSource?: string;
  sourceId?: string;
  attemptNumber?: number;
}
