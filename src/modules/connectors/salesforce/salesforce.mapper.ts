import type { ConsentStateSnapshot, RemoteContact } from '../connector.port';
import { toCountry } from '../../ledger';
import {
  CAPTURE_SOURCE_PREFIX,
  CONSENT_RECORD_NAME,
  WHATSAPP_CONTACT_POINT_TYPE,
} from './salesforce.constants';
import type { ConsentRow, Person, PersonRow, PrivacyConsentStatus } from './salesforce.types';

/** The ledger's channel and purpose that Salesforce's WhatsApp / Marketing consent record stands for. */
export const LEDGER_CHANNEL = 'whatsapp';
export const LEDGER_PURPOSE = 'marketing';

/** What the gateway writes into one ContactPointTypeConsent. */
export interface SalesforceConsent {
  status: PrivacyConsentStatus;
  /** ISO time the deciding change was captured: EffectiveFrom and CaptureDate. */
  capturedAt: string;
  /** Ledger event of the deciding change; travels in CaptureSource. */
  eventId: string;
}

/**
 * The person's WhatsApp-marketing consent as one Salesforce status. The ledger keeps a state per scope (business
 * number, or '*'); Salesforce holds one record per channel and purpose. A withdrawal in force for any scope makes
 * the record OptOut: the least permissive answer, as Salesforce's own Consent API aggregates, so that a person who
 * said STOP to any of the business's numbers is never shown as opted in. Returns null when the person has no
 * WhatsApp-marketing state at all.
 */
export function consentForPush(states: readonly ConsentStateSnapshot[]): SalesforceConsent | null {
  const relevant = states.filter((s) => s.channel === LEDGER_CHANNEL && s.purpose === LEDGER_PURPOSE);
  if (relevant.length === 0) return null;
  const withdrawn = relevant.filter((s) => s.status === 'withdrawn');
  const deciding = latest(withdrawn.length > 0 ? withdrawn : relevant);
  return {
    status: withdrawn.length > 0 ? 'OptOut' : 'OptIn',
    capturedAt: new Date(deciding.capturedAt).toISOString(),
    eventId: deciding.eventId,
  };
}

function latest(states: readonly ConsentStateSnapshot[]): ConsentStateSnapshot {
  return states.reduce((a, b) => (Date.parse(b.capturedAt) > Date.parse(a.capturedAt) ? b : a));
}

/**
 * Of two consents for the same Individual (two people pushed with one phone), the one to write: the later capture
 * wins; on equal capture times the withdrawal wins (the ledger's own conflict rule).
 */
export function winningConsent(a: SalesforceConsent, b: SalesforceConsent): SalesforceConsent {
  const ta = Date.parse(a.capturedAt);
  const tb = Date.parse(b.capturedAt);
  if (ta !== tb) return tb > ta ? b : a;
  return b.status === 'OptOut' ? b : a;
}

export function captureSource(eventId: string): string {
  return `${CAPTURE_SOURCE_PREFIX}${eventId}`;
}

/** The ledger event id the gateway wrote into CaptureSource, or null when someone else wrote the record. */
export function ownWriteEventId(source: string | null | undefined): string | null {
  if (!source?.startsWith(CAPTURE_SOURCE_PREFIX)) return null;
  const id = source.slice(CAPTURE_SOURCE_PREFIX.length).trim();
  return id === '' ? null : id;
}

/**
 * The fields written on every create and update. EffectiveTo is cleared so the record is in force (a stale end
 * date would make Salesforce's Consent API ignore it).
 */
export function consentFields(consent: SalesforceConsent): Record<string, unknown> {
  return {
    PrivacyConsentStatus: consent.status,
    EffectiveFrom: consent.capturedAt,
    EffectiveTo: null,
    CaptureDate: consent.capturedAt,
    CaptureSource: captureSource(consent.eventId),
    CaptureContactPointType: WHATSAPP_CONTACT_POINT_TYPE,
  };
}

/** A new ContactPointTypeConsent for an Individual on the WhatsApp channel and Marketing purpose. */
export function newConsentRecord(
  consent: SalesforceConsent,
  ids: { partyId: string; engagementChannelTypeId: string; dataUsePurposeId: string },
): Record<string, unknown> {
  return {
    Name: CONSENT_RECORD_NAME,
    PartyId: ids.partyId,
    ContactPointType: WHATSAPP_CONTACT_POINT_TYPE,
    EngagementChannelTypeId: ids.engagementChannelTypeId,
    DataUsePurposeId: ids.dataUsePurposeId,
    ...consentFields(consent),
  };
}

/** Whether an existing record already says exactly what the gateway would write (then it is left alone). */
export function isUnchanged(row: ConsentRow, consent: SalesforceConsent): boolean {
  return (
    row.PrivacyConsentStatus === consent.status &&
    row.EffectiveFrom !== null &&
    Date.parse(toIso(row.EffectiveFrom) ?? '') === Date.parse(consent.capturedAt) &&
    row.CaptureSource === captureSource(consent.eventId)
  );
}

/** Salesforce's `2026-01-01T12:00:00.000+0000` as ISO 8601 (`…Z`); null when absent or unparsable. */
export function toIso(value: string | null | undefined): string | null {
  if (!value) return null;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (!m) return null;
  let zone = m[2] ?? 'Z';
  if (zone !== 'Z' && !zone.includes(':')) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}${zone}`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** A field of a record that could not be read, as RemoteContact.unreadable lists it. */
export type Unreadable = RemoteContact['unreadable'][number];

/**
 * The consent a ContactPointTypeConsent shows, as the ledger reads it. NotSeen / Seen (or no status) carry no
 * consent decision: null. Salesforce's record has no notion of the ledger's scope (business number): null. The
 * capture time is EffectiveFrom, else CaptureDate, else SystemModstamp; a value present but unparseable is
 * reported in `unreadable` and the next one is used (one bad field must never stall a backfill or a poll).
 */
export function readConsent(row: ConsentRow | null | undefined): {
  consent: RemoteContact['consent'];
  unreadable: Unreadable[];
} {
  const unreadable: Unreadable[] = [];
  if (!row) return { consent: null, unreadable };
  const status =
    row.PrivacyConsentStatus === 'OptIn'
      ? 'granted'
      : row.PrivacyConsentStatus === 'OptOut'
        ? 'withdrawn'
        : null;
  if (!status) return { consent: null, unreadable };
  let capturedAt: string | null = null;
  for (const field of ['EffectiveFrom', 'CaptureDate', 'SystemModstamp'] as const) {
    const raw = row[field];
    if (raw === null || raw === undefined || raw === '') continue;
    capturedAt = toIso(raw);
    if (capturedAt) break;
    unreadable.push({ field: `ContactPointTypeConsent.${field}`, reason: 'unparseable datetime' });
  }
  if (!capturedAt) return { consent: null, unreadable };
  return {
    consent: { status, capturedAt, scope: null, ownWriteEventId: ownWriteEventId(row.CaptureSource) },
    unreadable,
  };
}

export function remoteConsent(row: ConsentRow | null | undefined): RemoteContact['consent'] {
  return readConsent(row).consent;
}

/** The record's own country (ISO 3166 alpha-2) for reading national numbers: MailingCountryCode / CountryCode. */
export function recordRegion(person: PersonRow): string | null {
  const code = person.MailingCountryCode ?? person.CountryCode ?? null;
  return code ? toCountry(code) : null;
}

/** A Contact or Lead with the consent of its Individual, as a RemoteContact: the record stands for the person. */
export function remoteContact(person: Person, consent: ConsentRow | null | undefined): RemoteContact {
  const read = readConsent(consent);
  const unreadable = [...read.unreadable];
  const observedAt = toIso(person.SystemModstamp);
  if (person.SystemModstamp && !observedAt)
    unreadable.push({ field: `${person.type}.SystemModstamp`, reason: 'unparseable datetime' });
  return {
    remoteId: person.Id,
    recordType: person.type,
    phones: [
      ...(person.Phone ? [{ field: 'Phone', value: person.Phone }] : []),
      ...(person.MobilePhone ? [{ field: 'MobilePhone', value: person.MobilePhone }] : []),
    ],
    email: person.Email ?? null,
    region: recordRegion(person),
    observedAt,
    unreadable,
    consent: read.consent,
  };
}

/** SOQL string literal: quotes and backslashes escaped (the only characters that end or escape a literal). */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `('a', 'b')` for `IN` lists. */
export function soqlList(values: readonly string[]): string {
  return `(${values.map(soqlString).join(', ')})`;
}

/** SOQL datetime literal (unquoted), millisecond precision, UTC. */
export function soqlDateTime(iso: string): string {
  return new Date(iso).toISOString();
}
