import type { ConsentStateSnapshot } from '../connector.port';
import {
  fromHubspotContact,
  toHubspotEmailStatus,
  toHubspotLegalBasis,
  toHubspotProperties,
} from './hubspot.mapper';

function state(overrides: Partial<ConsentStateSnapshot> = {}): ConsentStateSnapshot {
  return {
    purpose: 'marketing',
    channel: 'whatsapp',
    scope: '*',
    status: 'granted',
    capturedAt: '2025-01-02T10:00:00.000Z',
    source: 'whatsapp',
    eventId: 'evt-1',
    method: 'wa_keyword',
    legalBasis: 'consent',
    ...overrides,
  };
}

describe(toHubspotProperties.name, () => {
  it('writes a withdrawal as OPTED_OUT with its time, method and ledger event id', () => {
    const props = toHubspotProperties([
      state({ status: 'withdrawn', eventId: 'evt-9', capturedAt: '2025-03-01T08:00:00Z' }),
    ]);
    expect(props).toEqual({
      wa_marketing_consent: 'OPTED_OUT',
      wa_consent_updated_at: '2025-03-01T08:00:00.000Z',
      wa_consent_source: 'wa_keyword',
      wa_consent_legal_basis_explanation: expect.stringContaining('evt-9'),
      cg_consent_event_id: 'evt-9',
    });
    expect(props?.wa_consent_legal_basis_explanation).toContain('wa_keyword');
  });

  it('shows OPTED_OUT when any business number is withdrawn, even if another is granted later', () => {
    const props = toHubspotProperties([
      state({ scope: '+4930111', status: 'withdrawn', eventId: 'evt-1', capturedAt: '2025-01-01T00:00:00Z' }),
      state({ scope: '+4930222', status: 'granted', eventId: 'evt-2', capturedAt: '2025-02-01T00:00:00Z' }),
    ]);
    expect(props?.wa_marketing_consent).toBe('OPTED_OUT');
    expect(props?.cg_consent_event_id).toBe('evt-1');
  });

  it('shows OPTED_IN only when every scope is granted, decided by the latest grant', () => {
    const props = toHubspotProperties([
      state({ scope: '+4930111', eventId: 'evt-1', capturedAt: '2025-01-01T00:00:00Z' }),
      state({ scope: '+4930222', eventId: 'evt-2', capturedAt: '2025-02-01T00:00:00Z', method: null }),
    ]);
    expect(props?.wa_marketing_consent).toBe('OPTED_IN');
    expect(props?.cg_consent_event_id).toBe('evt-2');
    expect(props?.wa_consent_source).toBe('whatsapp');
  });

  it('ignores other channels and purposes, and writes nothing without a WhatsApp marketing state', () => {
    expect(toHubspotProperties([state({ channel: 'email' }), state({ purpose: 'service' })])).toBeNull();
    expect(toHubspotProperties([])).toBeNull();
  });
});

describe(toHubspotEmailStatus.name, () => {
  it('maps an email marketing withdrawal to UNSUBSCRIBED with a HubSpot legal basis', () => {
    expect(toHubspotEmailStatus([state({ channel: 'email', status: 'withdrawn' })])).toMatchObject({
      statusState: 'UNSUBSCRIBED',
      legalBasis: 'CONSENT_WITH_NOTICE',
    });
    expect(toHubspotEmailStatus([state()])).toBeNull();
  });

  it('maps the ledger legal bases', () => {
    expect(toHubspotLegalBasis('legitimate_interest')).toBe('LEGITIMATE_INTEREST_OTHER');
    expect(toHubspotLegalBasis('contract')).toBe('PERFORMANCE_OF_CONTRACT');
    expect(toHubspotLegalBasis(null)).toBe('CONSENT_WITH_NOTICE');
  });
});

describe(fromHubspotContact.name, () => {
  const updatedAt = new Date('2025-04-01T00:00:00.000Z');

  it('reads OPTED_OUT as withdrawn, with the consent time and the gateway event id', () => {
    expect(
      fromHubspotContact({
        id: '101',
        updatedAt,
        properties: {
          phone: '+4915100000101',
          mobilephone: '',
          hs_whatsapp_phone_number: null,
          email: 'jane@example.com',
          wa_marketing_consent: 'OPTED_OUT',
          wa_consent_updated_at: '2025-03-01T08:00:00Z',
          cg_consent_event_id: 'evt-9',
        },
      }),
    ).toEqual({
      remoteId: '101',
      phone: '+4915100000101',
      email: 'jane@example.com',
      consent: {
        status: 'withdrawn',
        capturedAt: '2025-03-01T08:00:00.000Z',
        scope: null,
        ownWriteEventId: 'evt-9',
      },
    });
  });

  it('prefers the WhatsApp phone, falls back to updatedAt, and reads epoch-ms datetimes', () => {
    const contact = fromHubspotContact({
      id: '7',
      updatedAt,
      properties: { phone: '+1', hs_whatsapp_phone_number: '+4915199', wa_marketing_consent: 'OPTED_IN' },
    });
    expect(contact.phone).toBe('+4915199');
    expect(contact.consent).toEqual({
      status: 'granted',
      capturedAt: updatedAt.toISOString(),
      scope: null,
      ownWriteEventId: null,
    });
    expect(
      fromHubspotContact({
        id: '8',
        properties: { wa_marketing_consent: 'OPTED_IN', wa_consent_updated_at: '1735812000000' },
      }).consent?.capturedAt,
    ).toBe(new Date(1_735_812_000_000).toISOString());
  });

  it('has no consent for UNKNOWN or an empty property', () => {
    expect(
      fromHubspotContact({ id: '1', updatedAt, properties: { wa_marketing_consent: 'UNKNOWN' } }).consent,
    ).toBeNull();
    expect(fromHubspotContact({ id: '1', updatedAt, properties: {} })).toEqual({
      remoteId: '1',
      phone: null,
      email: null,
      consent: null,
    });
  });
});
