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

  it('reads OPTED_OUT as withdrawn, with the consent time, the gateway event id and every field as typed', () => {
    expect(
      fromHubspotContact({
        id: '101',
        updatedAt,
        properties: {
          phone: '0151 2345678',
          mobilephone: '',
          hs_whatsapp_phone_number: '+49 1511 2345678',
          email: 'jane@example.com',
          hs_country_region_code: 'de',
          lastmodifieddate: '2025-03-02T00:00:00.000Z',
          wa_marketing_consent: 'OPTED_OUT',
          wa_consent_updated_at: '2025-03-01T08:00:00Z',
          cg_consent_event_id: 'evt-9',
        },
      }),
    ).toEqual({
      remoteId: '101',
      recordType: 'contact',
      phones: [
        { field: 'hs_whatsapp_phone_number', value: '+49 1511 2345678' },
        { field: 'phone', value: '0151 2345678' },
      ],
      email: 'jane@example.com',
      region: 'DE',
      observedAt: '2025-03-02T00:00:00.000Z',
      unreadable: [],
      consent: {
        status: 'withdrawn',
        capturedAt: '2025-03-01T08:00:00.000Z',
        scope: null,
        ownWriteEventId: 'evt-9',
      },
    });
  });

  it('takes the consent time from the last change when the record has none, and reads epoch-ms datetimes', () => {
    const contact = fromHubspotContact({
      id: '7',
      updatedAt,
      properties: { mobilephone: '+1 650 555 1234', wa_marketing_consent: 'OPTED_IN' },
    });
    expect(contact.phones).toEqual([{ field: 'mobilephone', value: '+1 650 555 1234' }]);
    expect(contact.observedAt).toBe(updatedAt.toISOString());
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

  it.each([
    ['an epoch beyond any date', '99999999999999999'],
    ['text', 'not a date'],
    ['a year after 9999', '+010000-01-01T00:00:00.000Z'],
    ['epoch ms of a year after 9999', '253402300800000'],
  ])(
    'reports an unreadable consent time (%s) and keeps the status, captured at the last change',
    (_, value) => {
      const read = () =>
        fromHubspotContact({
          id: '9',
          updatedAt,
          properties: { wa_marketing_consent: 'OPTED_OUT', wa_consent_updated_at: value },
        });
      expect(read).not.toThrow();
      const contact = read();
      expect(contact.unreadable).toEqual([
        { field: 'wa_consent_updated_at', reason: 'unreadable_timestamp' },
      ]);
      expect(contact.consent).toMatchObject({ status: 'withdrawn', capturedAt: updatedAt.toISOString() });
    },
  );

  it('reports an unreadable last-change time and falls back to updatedAt', () => {
    const contact = fromHubspotContact({ id: '9', updatedAt, properties: { lastmodifieddate: 'soon' } });
    expect(contact.observedAt).toBe(updatedAt.toISOString());
    expect(contact.unreadable).toEqual([{ field: 'lastmodifieddate', reason: 'unreadable_timestamp' }]);
  });

  it('has no region for a country code libphonenumber does not know', () => {
    for (const code of ['Germany', 'XX', '']) {
      expect(fromHubspotContact({ id: '1', properties: { hs_country_region_code: code } }).region).toBeNull();
    }
  });

  it('has no consent for UNKNOWN or an empty property, and reports a value it does not know', () => {
    expect(
      fromHubspotContact({ id: '1', updatedAt, properties: { wa_marketing_consent: 'UNKNOWN' } }).consent,
    ).toBeNull();
    expect(fromHubspotContact({ id: '1', updatedAt, properties: {} })).toEqual({
      remoteId: '1',
      recordType: 'contact',
      phones: [],
      email: null,
      region: null,
      observedAt: updatedAt.toISOString(),
      unreadable: [],
      consent: null,
    });
    const odd = fromHubspotContact({ id: '1', updatedAt, properties: { wa_marketing_consent: 'MAYBE' } });
    expect(odd.consent).toBeNull();
    expect(odd.unreadable).toEqual([{ field: 'wa_marketing_consent', reason: 'unknown_consent_value' }]);
  });
  it('reads no consent from the OPTED_OUT a restriction wrote (its source is the restriction marker)', () => {
    const restricted = fromHubspotContact({
      id: '1',
      updatedAt,
      properties: { wa_marketing_consent: 'OPTED_OUT', wa_consent_source: 'processing_restricted' },
    });
    expect(restricted.consent).toBeNull();
    expect(restricted.unreadable).toEqual([]);
  });

  it('reads an OPTED_IN set at HubSpot over the restriction marker as a grant', () => {
    const regranted = fromHubspotContact({
      id: '1',
      updatedAt,
      properties: { wa_marketing_consent: 'OPTED_IN', wa_consent_source: 'processing_restricted' },
    });
    expect(regranted.consent?.status).toBe('granted');
  });
});
