import { toCountry } from '../../ledger';
import type { ConsentStateSnapshot, RemoteContact } from '../connector.port';
import {
  HUBSPOT_PHONE_PROPERTIES,
  HUBSPOT_PROPERTIES,
  HUBSPOT_RESTRICTION_SOURCE,
  type HubspotConsentValue,
} from './hubspot.constants';
import type { HubspotConsentProperties, HubspotEmailStatus } from './hubspot.types';

/** The channel and purpose the HubSpot consent properties stand for. */
export const HUBSPOT_CONSENT_CHANNEL = 'whatsapp';
export const HUBSPOT_CONSENT_PURPOSE = 'marketing';
/** What a HubSpot record is (RemoteRecordRef.recordType): the gateway writes and reads contacts only. */
export const HUBSPOT_RECORD_TYPE = 'contact';

function relevant(states: readonly ConsentStateSnapshot[], channel: string): ConsentStateSnapshot[] {
  return states.filter((s) => s.channel === channel && s.purpose === HUBSPOT_CONSENT_PURPOSE);
}

function latest(states: readonly ConsentStateSnapshot[]): ConsentStateSnapshot {
  return states.reduce((a, b) => (Date.parse(b.capturedAt) > Date.parse(a.capturedAt) ? b : a));
}

/**
 * The state that decides the one value HubSpot can hold. HubSpot has a single property for all of the
 * business's WhatsApp numbers, while the ledger keeps a state per number (scope). A marketer reading the
 * property cannot tell numbers apart, so a withdrawal in force for ANY number shows as OPTED_OUT (the
 * latest such withdrawal decides); OPTED_IN only when every scope the ledger knows is granted.
 */
function deciding(states: readonly ConsentStateSnapshot[]): ConsentStateSnapshot | null {
  if (states.length === 0) return null;
  const withdrawn = states.filter((s) => s.status === 'withdrawn');
  return latest(withdrawn.length > 0 ? withdrawn : states);
}

function explanation(state: ConsentStateSnapshot, scopes: string[]): string {
  const verb = state.status === 'withdrawn' ? 'Withdrawn' : 'Granted';
  const how = state.method ?? state.source;
  const scope = scopes.length > 0 ? ` for ${scopes.join(', ')}` : '';
  return `${verb} via ${how}${scope}; legal basis ${state.legalBasis ?? 'consent'}; Consent Gateway ledger event ${state.eventId}`;
}

/**
 * The HubSpot properties for a person's WhatsApp marketing consent, or null when the ledger holds no
 * WhatsApp marketing state for them (nothing to write: the gateway never clobbers a CRM value it knows
 * nothing better than).
 */
export function toHubspotProperties(
  states: readonly ConsentStateSnapshot[],
): HubspotConsentProperties | null {
  const whatsapp = relevant(states, HUBSPOT_CONSENT_CHANNEL);
  const state = deciding(whatsapp);
  if (!state) return null;
  const value: HubspotConsentValue = state.status === 'withdrawn' ? 'OPTED_OUT' : 'OPTED_IN';
  const scopes = whatsapp
    .filter((s) => s.status === state.status)
    .map((s) => s.scope)
    .sort();
  return {
    [HUBSPOT_PROPERTIES.consent]: value,
    [HUBSPOT_PROPERTIES.updatedAt]: new Date(state.capturedAt).toISOString(),
    [HUBSPOT_PROPERTIES.source]: state.method ?? state.source,
    [HUBSPOT_PROPERTIES.explanation]: explanation(state, scopes),
    [HUBSPOT_PROPERTIES.eventId]: state.eventId,
  };
}

/**
 * The consent properties while the person's processing is restricted (Art. 18): opted out, marked as the
 * restriction's (the importer does not read it back as the person's withdrawal), whatever the consent in force.
 */
export function toHubspotRestrictedConsent(): HubspotConsentProperties {
  return {
    [HUBSPOT_PROPERTIES.consent]: 'OPTED_OUT',
    [HUBSPOT_PROPERTIES.source]: HUBSPOT_RESTRICTION_SOURCE,
    [HUBSPOT_PROPERTIES.explanation]:
      'Processing restricted at the person’s request (GDPR Art. 18): no marketing while the restriction lasts; set by Consent Gateway',
  };
}

/** The ledger's legal basis as one of HubSpot's `legalBasis` values. */
export function toHubspotLegalBasis(legalBasis: string | null): string {
  if (legalBasis === 'legitimate_interest') return 'LEGITIMATE_INTEREST_OTHER';
  if (legalBasis === 'contract') return 'PERFORMANCE_OF_CONTRACT';
  return 'CONSENT_WITH_NOTICE';
}

/** The email marketing subscription status to set (v4, EMAIL), or null when the ledger has none. */
export function toHubspotEmailStatus(states: readonly ConsentStateSnapshot[]): HubspotEmailStatus | null {
  const state = deciding(relevant(states, 'email'));
  if (!state) return null;
  return {
    statusState: state.status === 'withdrawn' ? 'UNSUBSCRIBED' : 'SUBSCRIBED',
    legalBasis: toHubspotLegalBasis(state.legalBasis),
    legalBasisExplanation: explanation(state, []),
  };
}

/** A contact as the SDK returns it (SimplePublicObject), reduced to what the mapper reads. */
export interface HubspotContactLike {
  id: string;
  properties: Record<string, string | null | undefined>;
  updatedAt?: Date | string | null;
}

/** The contact property holding the record's own country (ISO 3166 alpha-2), for national numbers. */
export const HUBSPOT_COUNTRY_PROPERTY = 'hs_country_region_code';
/** HubSpot's own last-change time of a contact (what the change poll filters and sorts on). */
export const HUBSPOT_MODIFIED_PROPERTY = 'lastmodifieddate';

/** Why a value was skipped (RemoteContact.unreadable). */
export const HUBSPOT_UNREADABLE = {
  timestamp: 'unreadable_timestamp',
  consentValue: 'unknown_consent_value',
} as const;

/** ISO 8601 can write years 0001-9999 without an expanded sign; anything outside is not a real consent time. */
const MIN_MS = new Date('0001-01-01T00:00:00.000Z').getTime();
const MAX_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

/**
 * A HubSpot datetime (epoch ms, as HubSpot stores datetime properties, or ISO) as ISO; null when it cannot be
 * read. Never throws: `new Date(1e17).toISOString()` would, and a CRM value must never stall an import.
 */
export function parseHubspotTime(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else {
    const text = value.trim();
    if (!text) return null;
    ms = /^-?\d+$/.test(text) ? Number(text) : Date.parse(text);
  }
  return Number.isFinite(ms) && ms >= MIN_MS && ms <= MAX_MS ? new Date(ms).toISOString() : null;
}

function nonEmpty(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/**
 * A HubSpot contact as the gateway reads it for a backfill, a sync or a poll. Values are as typed (the
 * gateway normalises phones with the record's `region`). `consent.scope` is null: the property stands for
 * every business number, and the caller applies its own rule for that. A value that cannot be read is
 * listed in `unreadable`, never thrown: one bad record must not stop a backfill.
 */
export function fromHubspotContact(contact: HubspotContactLike): RemoteContact {
  const p = contact.properties;
  const unreadable: RemoteContact['unreadable'] = [];
  const unreadableTime = (field: string, value: string | null | undefined): string | null => {
    const raw = nonEmpty(value);
    const parsed = parseHubspotTime(raw);
    if (raw && !parsed) unreadable.push({ field, reason: HUBSPOT_UNREADABLE.timestamp });
    return parsed;
  };
  const phones = HUBSPOT_PHONE_PROPERTIES.flatMap((field) => {
    const value = nonEmpty(p[field]);
    return value ? [{ field, value }] : [];
  });
  const country = nonEmpty(p[HUBSPOT_COUNTRY_PROPERTY]);
  const observedAt =
    unreadableTime(HUBSPOT_MODIFIED_PROPERTY, p[HUBSPOT_MODIFIED_PROPERTY]) ??
    parseHubspotTime(contact.updatedAt);

  const raw = nonEmpty(p[HUBSPOT_PROPERTIES.consent]);
  // The OPTED_OUT a restriction (Art. 18) writes is the gateway's marker, not the person's consent: the record shows
  // none, so once the restriction is lifted the importer sees it behind and the person's state is pushed again.
  const restrictionMarker =
    raw === 'OPTED_OUT' && nonEmpty(p[HUBSPOT_PROPERTIES.source]) === HUBSPOT_RESTRICTION_SOURCE;
  const status = restrictionMarker
    ? null
    : raw === 'OPTED_IN'
      ? 'granted'
      : raw === 'OPTED_OUT'
        ? 'withdrawn'
        : null;
  if (raw && !status && raw !== 'UNKNOWN' && !restrictionMarker) {
    unreadable.push({ field: HUBSPOT_PROPERTIES.consent, reason: HUBSPOT_UNREADABLE.consentValue });
  }
  // An unreadable consent time still leaves the status readable: it counts as captured when the record was
  // last seen to change (the importer clamps capture times to observedAt anyway).
  const capturedAt =
    unreadableTime(HUBSPOT_PROPERTIES.updatedAt, p[HUBSPOT_PROPERTIES.updatedAt]) ?? observedAt;
  return {
    remoteId: contact.id,
    recordType: HUBSPOT_RECORD_TYPE,
    phones,
    email: nonEmpty(p.email),
    region: country ? toCountry(country) : null,
    observedAt,
    unreadable,
    consent:
      status && capturedAt
        ? {
            status,
            capturedAt,
            scope: null,
            ownWriteEventId: nonEmpty(p[HUBSPOT_PROPERTIES.eventId]),
          }
        : null,
  };
}
