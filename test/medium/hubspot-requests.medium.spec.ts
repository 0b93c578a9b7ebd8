import type {
  ConnectionContext,
  ConnectorDeps,
  ErasureMode,
  ErasurePush,
  RectificationPush,
  RestrictionPush,
  SubjectRef,
} from '../../src/modules/connectors/connector.port';
import { HubspotConnector } from '../../src/modules/connectors/hubspot';
import { HubSpotSimulator, type CallLogEntry } from '../../sandbox/hubspot';
import { sandboxOutbound } from '../support/outbound';

/**
 * HubspotConnector's data-subject request operations (erase, restrict, rectify, readPerson) against the HubSpot
 * simulator, through the real @hubspot/api-client. No database: the pushes are built by hand.
 */

const sim = new HubSpotSimulator({ rateLimit: { max: 10_000, windowMs: 10_000 } });
let baseUrl: string;

function connector(phoneRegion: string | null = null): HubspotConnector {
  const context: ConnectionContext = {
    id: 'conn-hubspot-1',
    type: 'hubspot',
    name: 'HubSpot sandbox',
    baseUrl,
    loginUrl: null,
    externalAccountId: String(sim.portal().portalId),
    mapping: {},
    erasureMode: 'vendor_gdpr_delete',
    credentials: { accessToken: 'pat-na1-sandbox' },
    phoneRegion,
  };
  const deps: ConnectorDeps = {
    onCredentials: async () => {},
    beforeRefresh: async () => {},
    pace: async () => {},
    oauthClient: null,
    publicBaseUrl: 'http://127.0.0.1:3000',
    outbound: sandboxOutbound(),
  };
  return new HubspotConnector(context, deps);
}

const PHONE = '+4915112345678';
const EMAIL = 'jane.doe@example.com';

function ref(overrides: Partial<SubjectRef> = {}): SubjectRef {
  return {
    deliveryId: 'delivery-1',
    subjectId: 'subject-1',
    requestId: 'request-1',
    phones: [PHONE],
    emails: [EMAIL],
    remoteIds: [],
    ...overrides,
  };
}

const erasure = (mode: ErasureMode, overrides: Partial<SubjectRef> = {}): ErasurePush => ({
  ...ref(overrides),
  mode,
});
const restriction = (
  restricted: boolean,
  overrides: Partial<SubjectRef> = {},
  states: RestrictionPush['states'] = [],
): RestrictionPush => ({
  ...ref(overrides),
  restricted,
  states,
});

/** Creates contacts directly in the portal (no webhooks), returning their ids in order. */
function contacts(...records: Record<string, string>[]): string[] {
  const { firstId } = sim.seedContacts({ contacts: records });
  return records.map((_, i) => String(Number(firstId) + i));
}

const stored = (id: string) => sim.portal().contacts.get(id);
const mark = () => sim.state.callLog.recent.length;
const calls = (since: number): CallLogEntry[] => sim.state.callLog.recent.slice(since);
const count = (entries: CallLogEntry[], method: string, path: string) =>
  entries.filter((e) => e.method === method && e.path.split('?')[0] === path).length;

describe(HubspotConnector.name, () => {
  beforeAll(async () => {
    baseUrl = await sim.start();
  });

  afterAll(() => sim.stop());

  beforeEach(async () => {
    sim.reset();
    await connector().ensureSetup();
  });

  describe('erase', () => {
    it('GDPR-deletes the linked contact and a duplicate found by the verified lookup', async () => {
      const [linked, duplicate, stranger] = contacts(
        { email: EMAIL, phone: PHONE, firstname: 'Jane' },
        { phone: '+49 1511 2345678', firstname: 'Jane (dup)' },
        { phone: '+4915199999999' },
      );
      const [outcome] = await connector().erase([erasure('vendor_gdpr_delete', { remoteIds: [linked] })]);
      expect(outcome).toMatchObject({
        outcome: 'succeeded',
        evidence: { erasure_mode_used: 'vendor_gdpr_delete', records_erased: 2, records_already_gone: 0 },
      });
      expect(stored(linked)).toBeUndefined();
      expect(stored(duplicate)).toBeUndefined();
      expect(stored(stranger)).toBeDefined();
      expect(sim.portal().gdprDeletedIds).toEqual(new Set([linked, duplicate]));
    });

    it('blocklists the erased email so the contact cannot be created with it again', async () => {
      const [id] = contacts({ email: EMAIL, phone: PHONE });
      await connector().erase([erasure('vendor_gdpr_delete', { remoteIds: [id] })]);
      expect(sim.portal().gdprBlocklist.has(EMAIL)).toBe(true);
    });

    it('succeeds again on a second erase of the same person (already gone), deleting nothing more', async () => {
      const [id] = contacts({ email: EMAIL, phone: PHONE });
      await connector().erase([erasure('vendor_gdpr_delete', { remoteIds: [id] })]);
      const [again] = await connector().erase([erasure('vendor_gdpr_delete', { remoteIds: [id] })]);
      expect(again).toMatchObject({
        outcome: 'succeeded',
        evidence: { records_erased: 0, records_already_gone: 1 },
      });
    });

    it('archives the contacts in one batch call when the mode is hard_delete', async () => {
      const [a, b] = contacts({ email: EMAIL, phone: PHONE }, { phone: PHONE });
      const since = mark();
      const [outcome] = await connector().erase([erasure('hard_delete')]);
      expect(outcome).toMatchObject({
        outcome: 'succeeded',
        evidence: { erasure_mode_used: 'hard_delete', records_erased: 2 },
      });
      expect(stored(a)?.archived).toBe(true);
      expect(stored(b)?.archived).toBe(true);
      expect(count(calls(since), 'POST', '/crm/v3/objects/contacts/batch/archive')).toBe(1);
    });

    it('blanks every personal and consent property with mask_fields, keeps the record, names the fields only', async () => {
      const [id] = contacts({
        email: EMAIL,
        phone: PHONE,
        mobilephone: '01511 2345678',
        firstname: 'Jane',
        lastname: 'Doe',
        address: 'Hauptstr. 1',
        city: 'Berlin',
        zip: '10115',
        company: 'Acme',
        hs_country_region_code: 'DE',
        wa_marketing_consent: 'OPTED_IN',
      });
      const [outcome] = await connector().erase([erasure('mask_fields', { remoteIds: [id] })]);
      expect(stored(id)?.properties).toEqual({});
      expect(outcome).toMatchObject({
        outcome: 'succeeded',
        evidence: {
          erasure_mode_used: 'mask_fields',
          records_erased: 1,
          fields_affected: [
            'address',
            'city',
            'company',
            'email',
            'firstname',
            'hs_country_region_code',
            'lastname',
            'mobilephone',
            'phone',
            'wa_marketing_consent',
            'zip',
          ],
        },
      });
      expect(JSON.stringify(outcome)).not.toContain('Berlin');
    });

    it('erases the records of a person the gateway already forgot by their record ids alone, without searching', async () => {
      const [id] = contacts({ phone: PHONE });
      const since = mark();
      const [outcome] = await connector().erase([
        erasure('vendor_gdpr_delete', { phones: [], emails: [], remoteIds: [id] }),
      ]);
      expect(outcome.outcome).toBe('succeeded');
      expect(stored(id)).toBeUndefined();
      expect(count(calls(since), 'POST', '/crm/v3/objects/contacts/search')).toBe(0);
    });

    it('skips a person HubSpot holds no contact of as not_found_at_vendor', async () => {
      contacts({ phone: '+4915199999999' });
      const [outcome] = await connector().erase([erasure('vendor_gdpr_delete')]);
      expect(outcome).toEqual({
        deliveryId: 'delivery-1',
        outcome: 'skipped',
        reason: 'not_found_at_vendor',
      });
    });
  });

  describe('restrict', () => {
    it('sets the restriction property and opts the contact out while restricted', async () => {
      const [id] = contacts({ phone: PHONE, wa_marketing_consent: 'OPTED_IN' });
      const [outcome] = await connector().restrict([restriction(true)]);
      expect(outcome).toMatchObject({
        outcome: 'succeeded',
        evidence: { restricted: true, records_updated: 1 },
      });
      expect(stored(id)?.properties).toMatchObject({
        consent_gateway_processing_restricted: 'true',
        wa_marketing_consent: 'OPTED_OUT',
      });
    });

    it('lifts the restriction: the property becomes false', async () => {
      const [id] = contacts({ phone: PHONE });
      await connector().restrict([restriction(true)]);
      const [outcome] = await connector().restrict([restriction(false)]);
      expect(outcome).toMatchObject({ outcome: 'succeeded', evidence: { restricted: false } });
      expect(stored(id)?.properties.consent_gateway_processing_restricted).toBe('false');
    });

    it('restores the consent in force that the restriction covered up when it is lifted', async () => {
      const [id] = contacts({ phone: PHONE, wa_marketing_consent: 'OPTED_IN' });
      await connector().restrict([restriction(true)]);
      const granted = {
        purpose: 'marketing',
        channel: 'whatsapp',
        scope: '*',
        status: 'granted' as const,
        capturedAt: '2026-11-01T10:00:00.000Z',
        source: 'api',
        eventId: '6f1c1f9e-0000-4000-8000-000000000001',
        method: 'web_form',
        legalBasis: 'consent',
      };
      await connector().restrict([restriction(false, {}, [granted])]);
      expect(stored(id)?.properties).toMatchObject({
        consent_gateway_processing_restricted: 'false',
        wa_marketing_consent: 'OPTED_IN',
        cg_consent_event_id: granted.eventId,
      });
    });

    it('keeps showing the restriction when a consent change is pushed while it lasts', async () => {
      const [id] = contacts({ phone: PHONE, wa_marketing_consent: 'OPTED_IN' });
      await connector().restrict([restriction(true)]);
      const [pushed] = await connector().pushConsent([
        {
          ...ref(),
          waId: null,
          restricted: true,
          states: [
            {
              purpose: 'marketing',
              channel: 'whatsapp',
              scope: '*',
              status: 'granted',
              capturedAt: new Date().toISOString(),
              source: 'api',
              eventId: '6f1c1f9e-0000-4000-8000-000000000002',
              method: 'web_form',
              legalBasis: 'consent',
            },
          ],
        },
      ]);
      expect(pushed.outcome).toBe('succeeded');
      expect(stored(id)?.properties).toMatchObject({
        consent_gateway_processing_restricted: 'true',
        wa_marketing_consent: 'OPTED_OUT',
      });
    });

    it('creates the restriction property when the portal was set up before it existed', async () => {
      sim.portal().properties.delete('consent_gateway_processing_restricted');
      contacts({ phone: PHONE });
      const [outcome] = await connector().restrict([restriction(true)]);
      expect(outcome.outcome).toBe('succeeded');
      expect(sim.portal().properties.get('consent_gateway_processing_restricted')?.type).toBe('bool');
    });
  });

  describe('rectify', () => {
    const rectification = (overrides: Partial<RectificationPush> = {}): RectificationPush => ({
      ...ref({ phones: ['+4915199990000'], emails: [EMAIL] }),
      previous: { phones: [PHONE], emails: [EMAIL] },
      current: { phones: ['+4915199990000'], emails: [EMAIL] },
      ...overrides,
    });

    it('overwrites the phone fields that held the previous number, typed in any format, and leaves others', async () => {
      const [id] = contacts({
        phone: '01511 2345678',
        mobilephone: '+49 1511 2345678',
        hs_whatsapp_phone_number: '+4930123456',
        hs_country_region_code: 'DE',
      });
      const [outcome] = await connector().rectify([rectification()]);
      expect(stored(id)?.properties).toMatchObject({
        phone: '+4915199990000',
        mobilephone: '+4915199990000',
        hs_whatsapp_phone_number: '+4930123456',
      });
      expect(outcome).toMatchObject({
        outcome: 'succeeded',
        evidence: { records_rectified: 1, fields_affected: ['mobilephone', 'phone'] },
      });
    });

    it('replaces the previous email with the corrected one', async () => {
      const [id] = contacts({ email: EMAIL, firstname: 'Jane' });
      await connector().rectify([
        rectification({
          previous: { phones: [], emails: [EMAIL] },
          current: { phones: [], emails: ['jane@corrected.example'] },
        }),
      ]);
      expect(stored(id)?.properties.email).toBe('jane@corrected.example');
    });

    it('succeeds without writing when the records already show the corrected values', async () => {
      contacts({ phone: '+4915199990000', email: EMAIL });
      const since = mark();
      const [outcome] = await connector().rectify([rectification()]);
      expect(outcome).toMatchObject({ outcome: 'succeeded', evidence: { records_rectified: 0 } });
      expect(count(calls(since), 'POST', '/crm/v3/objects/contacts/batch/update')).toBe(0);
    });
  });

  describe('readPerson', () => {
    it('returns every contact of the person with its personal and consent properties', async () => {
      const [a, b] = contacts(
        { email: EMAIL, phone: PHONE, firstname: 'Jane', city: 'Berlin', wa_marketing_consent: 'OPTED_IN' },
        { mobilephone: '+49 1511 2345678', lastname: 'Doe' },
      );
      const [outcome] = await connector().readPerson([ref({ remoteIds: [a] })]);
      if (outcome.outcome !== 'succeeded') throw new Error(`unexpected ${outcome.outcome}`);
      const byId = new Map(outcome.data!.map((d) => [d.remoteId, d]));
      expect(byId.get(a)?.fields).toMatchObject({
        email: EMAIL,
        phone: PHONE,
        firstname: 'Jane',
        city: 'Berlin',
        wa_marketing_consent: 'OPTED_IN',
      });
      expect(byId.get(b)?.fields).toMatchObject({ mobilephone: '+49 1511 2345678', lastname: 'Doe' });
      expect(outcome.evidence).toMatchObject({ records_read: 2 });
    });

    it('skips a person with nothing to find them by as missing_identity', async () => {
      const [outcome] = await connector().readPerson([ref({ phones: [], emails: [] })]);
      expect(outcome).toEqual({ deliveryId: 'delivery-1', outcome: 'skipped', reason: 'missing_identity' });
    });
  });
});
