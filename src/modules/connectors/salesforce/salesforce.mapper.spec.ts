import type { ConsentStateSnapshot } from '../connector.port';
import {
  consentFields,
  consentForPush,
  isUnchanged,
  newConsentRecord,
  ownWriteEventId,
  readConsent,
  remoteConsent,
  remoteContact,
  soqlList,
  soqlString,
  toIso,
  winningConsent,
} from './salesforce.mapper';
import type { ConsentRow, Person } from './salesforce.types';

const state = (overrides: Partial<ConsentStateSnapshot> = {}): ConsentStateSnapshot => ({
  purpose: 'marketing',
  channel: 'whatsapp',
  scope: '*',
  status: 'granted',
  capturedAt: '2026-03-01T10:00:00.000Z',
  source: 'whatsapp',
  eventId: 'evt-1',
  method: 'wa_keyword',
  legalBasis: 'consent',
  ...overrides,
});

const row = (overrides: Partial<ConsentRow> = {}): ConsentRow => ({
  Id: '0ZYxx0000000001AAA',
  PartyId: '0PKxx0000000001AAA',
  PrivacyConsentStatus: 'OptOut',
  EffectiveFrom: '2026-03-01T10:00:00.000+0000',
  CaptureDate: null,
  CaptureSource: 'ConsentGateway:evt-1',
  SystemModstamp: '2026-03-01T10:00:01.000+0000',
  ...overrides,
});

describe('consentForPush', () => {
  it('maps a WhatsApp marketing grant to OptIn with its capture time and event', () => {
    expect(consentForPush([state()])).toEqual({
      status: 'OptIn',
      capturedAt: '2026-03-01T10:00:00.000Z',
      eventId: 'evt-1',
    });
  });

  it('maps a withdrawal to OptOut', () => {
    expect(consentForPush([state({ status: 'withdrawn', eventId: 'evt-stop' })])).toMatchObject({
      status: 'OptOut',
      eventId: 'evt-stop',
    });
  });

  it('writes OptOut while a withdrawal is in force for any scope, even beside a later grant for one number', () => {
    const consent = consentForPush([
      state({ scope: '*', status: 'withdrawn', capturedAt: '2026-03-01T10:00:00Z', eventId: 'evt-stop' }),
      state({
        scope: '+15550001',
        status: 'granted',
        capturedAt: '2026-03-02T10:00:00Z',
        eventId: 'evt-start',
      }),
    ]);
    expect(consent).toEqual({
      status: 'OptOut',
      capturedAt: '2026-03-01T10:00:00.000Z',
      eventId: 'evt-stop',
    });
  });

  it('takes the latest of several grants', () => {
    const consent = consentForPush([
      state({ scope: 'a', capturedAt: '2026-03-01T10:00:00Z', eventId: 'old' }),
      state({ scope: 'b', capturedAt: '2026-03-03T10:00:00Z', eventId: 'new' }),
    ]);
    expect(consent?.eventId).toBe('new');
  });

  it('ignores other channels and purposes, and has nothing to write without a WhatsApp marketing state', () => {
    expect(consentForPush([state({ channel: 'email' }), state({ purpose: 'service' })])).toBeNull();
    expect(consentForPush([])).toBeNull();
  });
});

describe('winningConsent', () => {
  const optIn = { status: 'OptIn' as const, capturedAt: '2026-03-01T10:00:00.000Z', eventId: 'a' };
  const optOut = { status: 'OptOut' as const, capturedAt: '2026-03-01T10:00:00.000Z', eventId: 'b' };

  it('keeps the later capture', () => {
    const later = { ...optIn, capturedAt: '2026-03-02T10:00:00.000Z' };
    expect(winningConsent(optOut, later)).toBe(later);
    expect(winningConsent(later, optOut)).toBe(later);
  });

  it('keeps the withdrawal on equal capture times', () => {
    expect(winningConsent(optIn, optOut)).toBe(optOut);
    expect(winningConsent(optOut, optIn)).toBe(optOut);
  });
});

describe('consent record fields', () => {
  const consent = { status: 'OptOut' as const, capturedAt: '2026-03-01T10:00:00.000Z', eventId: 'evt-9' };

  it('builds a new ContactPointTypeConsent on the WhatsApp channel and Marketing purpose', () => {
    expect(
      newConsentRecord(consent, { partyId: 'P', engagementChannelTypeId: 'C', dataUsePurposeId: 'D' }),
    ).toEqual({
      Name: 'WhatsApp Marketing',
      PartyId: 'P',
      ContactPointType: 'Phone',
      EngagementChannelTypeId: 'C',
      DataUsePurposeId: 'D',
      PrivacyConsentStatus: 'OptOut',
      EffectiveFrom: '2026-03-01T10:00:00.000Z',
      EffectiveTo: null,
      CaptureDate: '2026-03-01T10:00:00.000Z',
      CaptureSource: 'ConsentGateway:evt-9',
      CaptureContactPointType: 'Phone',
    });
  });

  it('updates only the consent fields', () => {
    expect(Object.keys(consentFields(consent)).sort()).toEqual([
      'CaptureContactPointType',
      'CaptureDate',
      'CaptureSource',
      'EffectiveFrom',
      'EffectiveTo',
      'PrivacyConsentStatus',
    ]);
  });

  it('sees a record that already says the same as unchanged', () => {
    expect(isUnchanged(row({ CaptureSource: 'ConsentGateway:evt-9' }), consent)).toBe(true);
    expect(isUnchanged(row({ CaptureSource: 'Salesforce UI' }), consent)).toBe(false);
    expect(
      isUnchanged(row({ CaptureSource: 'ConsentGateway:evt-9', PrivacyConsentStatus: 'OptIn' }), consent),
    ).toBe(false);
    expect(isUnchanged(row({ CaptureSource: 'ConsentGateway:evt-9', EffectiveFrom: null }), consent)).toBe(
      false,
    );
  });
});

describe('ownWriteEventId', () => {
  it('reads the ledger event id the gateway wrote into CaptureSource', () => {
    expect(ownWriteEventId('ConsentGateway:0b6c9c1e-1f0e-4c55-9a43-3b1f1f0a1c2d')).toBe(
      '0b6c9c1e-1f0e-4c55-9a43-3b1f1f0a1c2d',
    );
  });

  it('is null for anyone else’s writes', () => {
    expect(ownWriteEventId('Salesforce UI')).toBeNull();
    expect(ownWriteEventId('ConsentGateway:')).toBeNull();
    expect(ownWriteEventId(null)).toBeNull();
  });
});

describe('remoteConsent', () => {
  it('reads OptOut as withdrawn, with EffectiveFrom as the capture time and the own-write marker', () => {
    expect(remoteConsent(row())).toEqual({
      status: 'withdrawn',
      capturedAt: '2026-03-01T10:00:00.000Z',
      scope: null,
      ownWriteEventId: 'evt-1',
    });
  });

  it('reads OptIn as granted; a CRM edit carries no own-write marker', () => {
    expect(remoteConsent(row({ PrivacyConsentStatus: 'OptIn', CaptureSource: 'Web form' }))).toMatchObject({
      status: 'granted',
      ownWriteEventId: null,
    });
  });

  it('falls back to CaptureDate, then SystemModstamp, for the capture time', () => {
    expect(
      remoteConsent(row({ EffectiveFrom: null, CaptureDate: '2026-02-01T00:00:00.000+0000' }))?.capturedAt,
    ).toBe('2026-02-01T00:00:00.000Z');
    expect(remoteConsent(row({ EffectiveFrom: null }))?.capturedAt).toBe('2026-03-01T10:00:01.000Z');
  });

  it('has no consent for NotSeen, Seen or no status', () => {
    expect(remoteConsent(row({ PrivacyConsentStatus: 'NotSeen' }))).toBeNull();
    expect(remoteConsent(row({ PrivacyConsentStatus: 'Seen' }))).toBeNull();
    expect(remoteConsent(row({ PrivacyConsentStatus: null }))).toBeNull();
    expect(remoteConsent(null)).toBeNull();
  });
});

describe('readConsent', () => {
  it('reports an unparseable EffectiveFrom and falls back to CaptureDate instead of failing', () => {
    expect(
      readConsent(row({ EffectiveFrom: 'yesterday', CaptureDate: '2026-02-01T00:00:00.000+0000' })),
    ).toEqual({
      consent: expect.objectContaining({ status: 'withdrawn', capturedAt: '2026-02-01T00:00:00.000Z' }),
      unreadable: [{ field: 'ContactPointTypeConsent.EffectiveFrom', reason: 'unparseable datetime' }],
    });
  });

  it('has no consent when no capture time can be read at all', () => {
    const read = readConsent(row({ EffectiveFrom: 'x', CaptureDate: null, SystemModstamp: 'y' }));
    expect(read.consent).toBeNull();
    expect(read.unreadable.map((u) => u.field)).toEqual([
      'ContactPointTypeConsent.EffectiveFrom',
      'ContactPointTypeConsent.SystemModstamp',
    ]);
  });
});

describe('remoteContact', () => {
  const person: Person = {
    type: 'Contact',
    Id: '003xx0000000001AAA',
    IndividualId: '0PKxx0000000001AAA',
    MobilePhone: '+1 650 555 0101',
    Phone: '(650) 555-0000',
    Email: 'ada@example.com',
    MailingCountryCode: 'US',
    SystemModstamp: '2026-03-02T08:00:00.000+0000',
  };

  it('stands for the person by the record itself, every phone field as typed, its country and its stamp', () => {
    expect(remoteContact(person, row())).toEqual({
      remoteId: '003xx0000000001AAA',
      recordType: 'Contact',
      phones: [
        { field: 'Phone', value: '(650) 555-0000' },
        { field: 'MobilePhone', value: '+1 650 555 0101' },
      ],
      email: 'ada@example.com',
      region: 'US',
      observedAt: '2026-03-02T08:00:00.000Z',
      unreadable: [],
      consent: expect.objectContaining({ status: 'withdrawn' }),
    });
  });

  it("reads a Lead's CountryCode, and has no region for a code libphonenumber does not know", () => {
    const lead: Person = { ...person, type: 'Lead', MailingCountryCode: undefined, CountryCode: 'de' };
    expect(remoteContact(lead, null)).toMatchObject({ recordType: 'Lead', region: 'DE', consent: null });
    expect(remoteContact({ ...lead, CountryCode: 'XX' }, null).region).toBeNull();
    expect(remoteContact({ ...lead, CountryCode: null }, null).region).toBeNull();
  });

  it('lists an unparseable consent timestamp as unreadable and keeps the record', () => {
    const contact = remoteContact(person, row({ EffectiveFrom: '01/03/2026' }));
    expect(contact.unreadable).toEqual([
      { field: 'ContactPointTypeConsent.EffectiveFrom', reason: 'unparseable datetime' },
    ]);
    expect(contact.consent?.capturedAt).toBe('2026-03-01T10:00:01.000Z');
  });
});

describe('SOQL literals', () => {
  it('escapes quotes and backslashes', () => {
    expect(soqlString("O'Brien \\ co")).toBe("'O\\'Brien \\\\ co'");
    expect(soqlList(['+1', "x'"])).toBe("('+1', 'x\\'')");
  });

  it('reads Salesforce datetimes as ISO 8601', () => {
    expect(toIso('2026-01-01T12:00:00.000+0000')).toBe('2026-01-01T12:00:00.000Z');
    expect(toIso('2026-01-01T14:00:00+02:00')).toBe('2026-01-01T12:00:00.000Z');
    expect(toIso('yesterday')).toBeNull();
    expect(toIso(null)).toBeNull();
  });
});
