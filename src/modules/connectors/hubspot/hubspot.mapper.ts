import type { ConsentStateSnapshot, RemoteContact } from '../connector.port';
import { HUBSPOT_PHONE_PROPERTIES, HUBSPOT_PROPERTIES, type HubspotConsentValue } from './hubspot.constants';
import type { HubspotConsentProperties, HubspotEmailStatus } from './hubspot.types';

/** The channel and purpose the HubSpot consent properties stand for. */
export const HUBSPOT_CONSENT_CHANNEL = 'whatsapp';
export const HUBSPOT_CONSENT_PURPOSE = 'marketing';

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

function parseHubspotTime(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function nonEmpty(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/**
 * A HubSpot contact as the gateway reads it for a backfill or a sync. `consent.scope` is null: the
 * property stands for every business number, and the caller applies its own rule for that.
 */
export function fromHubspotContact(contact: HubspotContactLike): RemoteContact {
  const p = contact.properties;
  const phone = HUBSPOT_PHONE_PROPERTIES.map((name) => nonEmpty(p[name])).find((v) => v !== null) ?? null;
  const raw = p[HUBSPOT_PROPERTIES.consent];
  const status = raw === 'OPTED_IN' ? 'granted' : raw === 'OPTED_OUT' ? 'withdrawn' : null;
  const updatedAt =
    contact.updatedAt instanceof Date ? contact.updatedAt.toISOString() : parseHubspotTime(contact.updatedAt);
  const capturedAt = parseHubspotTime(p[HUBSPOT_PROPERTIES.updatedAt]) ?? updatedAt;
  return {
    remoteId: contact.id,
    phone,
    email: nonEmpty(p.email),
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
