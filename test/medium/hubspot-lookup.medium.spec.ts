import type {
  ConnectionContext,
  ConnectorDeps,
  ConsentPush,
  PushOutcome,
} from '../../src/modules/connectors/connector.port';
import { HubspotConnector } from '../../src/modules/connectors/hubspot';
import { calculatePhone, HubSpotSimulator } from '../../sandbox/hubspot';
import { sandboxOutbound } from '../support/outbound';

/**
 * How HubspotConnector finds a person's contacts when HubSpot holds the number as someone typed it: through
 * the real @hubspot/api-client against the simulator (phones stored as typed, calculated phone properties).
 * Every candidate a search returns is verified before it is written.
 */

const PERSON = '+4915112345678';

const plain = new HubSpotSimulator({ rateLimit: { max: 10_000, windowMs: 10_000 } });
/** A portal whose default country is Germany: national numbers without a country get calculated values. */
const german = new HubSpotSimulator({ rateLimit: { max: 10_000, windowMs: 10_000 }, defaultCountry: 'DE' });

function deps(): ConnectorDeps {
  return {
    onCredentials: async () => {},
    beforeRefresh: async () => {},
    pace: async () => {},
    oauthClient: null,
    publicBaseUrl: 'http://gateway.test',
    outbound: sandboxOutbound(),
  };
}

async function connector(
  sim: HubSpotSimulator,
  baseUrl: string,
  phoneRegion: string | null = null,
): Promise<HubspotConnector> {
  const context = (mapping: Record<string, unknown>): ConnectionContext => ({
    id: 'conn-hubspot-lookup',
    type: 'hubspot',
    name: 'HubSpot sandbox',
    baseUrl,
    loginUrl: null,
    externalAccountId: String(sim.portal().portalId),
    mapping,
    erasureMode: 'vendor_gdpr_delete',
    credentials: { accessToken: 'pat-na1-sandbox' },
    phoneRegion,
  });
  const mapping = await new HubspotConnector(context({}), deps()).ensureSetup();
  return new HubspotConnector(context(mapping), deps());
}

function person(overrides: Partial<ConsentPush> = {}): ConsentPush {
  return {
    deliveryId: 'delivery-1',
    subjectId: 'subject-1',
    phones: [PERSON],
    waId: null,
    emails: [],
    remoteIds: [],
    states: [
      {
        purpose: 'marketing',
        channel: 'whatsapp',
        scope: '*',
        status: 'withdrawn',
        capturedAt: '2025-06-01T09:30:00.000Z',
        source: 'whatsapp',
        eventId: 'evt-stop',
        method: 'wa_keyword',
        legalBasis: 'consent',
      },
    ],
    ...overrides,
  };
}

/** Seeds one contact per property set, returns their ids in order. */
function seed(sim: HubSpotSimulator, ...contacts: Record<string, string>[]): string[] {
  return contacts.map((properties) => sim.seedContacts({ contacts: [properties] }).firstId!);
}

const consentOf = (sim: HubSpotSimulator, id: string) =>
  sim.portal().contacts.get(id)!.properties.wa_marketing_consent;

function written(outcome: PushOutcome): string[] {
  if (outcome.outcome !== 'succeeded') throw new Error(`expected success, got ${outcome.outcome}`);
  return (outcome.records ?? []).map((r) => r.remoteId).sort((a, b) => Number(a) - Number(b));
}

describe('HubspotConnector: finding a person however the number was typed', () => {
  let plainUrl: string;
  let germanUrl: string;

  beforeAll(async () => {
    plainUrl = await plain.start();
    germanUrl = await german.start();
  });

  afterAll(async () => {
    await plain.stop();
    await german.stop();
  });

  beforeEach(() => {
    plain.reset();
    german.reset();
  });

  it.each([
    ['phone, with spaces', { phone: '+49 1511 2345678' }],
    ['phone, with a (0) trunk digit and dashes', { phone: '+49 (0)151-1234-5678' }],
    ['mobilephone only', { mobilephone: '+49-151-12345678' }],
    ['phone, national, with the record country', { phone: '0151 12345678', hs_country_region_code: 'DE' }],
    ['phone, with the "00" prefix', { phone: '0049 151 12345678', hs_country_region_code: 'DE' }],
    ['phone, with an extension', { phone: '+49 151 12345678 ext. 12' }],
    ['the WhatsApp phone, as E.164', { hs_whatsapp_phone_number: PERSON }],
  ])('finds and writes a contact whose number is in %s', async (_, properties) => {
    const [id] = seed(plain, { email: 'someone@example.com', ...properties });
    const [outcome] = await (await connector(plain, plainUrl)).pushConsent([person()]);
    expect(written(outcome)).toEqual([id]);
    expect(outcome).toMatchObject({ records: [{ remoteId: id, recordType: 'contact' }] });
    expect(consentOf(plain, id)).toBe('OPTED_OUT');
  });

  it('reads a national number without a country in the connection region', async () => {
    const [id] = seed(german, { phone: '0151 12345678' });
    const [withRegion] = await (await connector(german, germanUrl, 'DE')).pushConsent([person()]);
    expect(written(withRegion)).toEqual([id]);

    german.reset();
    const [again] = seed(german, { phone: '0151 12345678' });
    const [withoutRegion] = await (await connector(german, germanUrl, null)).pushConsent([person()]);
    // HubSpot found it (the portal's default country), but the gateway cannot tell what it was typed for.
    expect(withoutRegion).toEqual({
      deliveryId: 'delivery-1',
      outcome: 'skipped',
      reason: 'not_found_at_vendor',
    });
    expect(consentOf(german, again)).toBeUndefined();
  });

  it('writes every duplicate of the person, found by phone in any format and by email', async () => {
    const ids = seed(
      plain,
      { phone: '+49 1511 2345678' },
      { mobilephone: '0151 12345678', hs_country_region_code: 'de' },
      { email: 'jane@example.com', phone: '+49 30 1234567' },
      { phone: '+49 1511 9999999' },
    );
    const [outcome] = await (
      await connector(plain, plainUrl)
    ).pushConsent([person({ emails: ['jane@example.com'] })]);
    expect(written(outcome)).toEqual(ids.slice(0, 3));
    expect(ids.map((id) => consentOf(plain, id))).toEqual(['OPTED_OUT', 'OPTED_OUT', 'OPTED_OUT', undefined]);
  });

  it('does not write a contact whose number has the same national digits in another country', async () => {
    const [austrian] = seed(plain, { phone: '+43 1 51123 45678' });
    const [outcome] = await (await connector(plain, plainUrl)).pushConsent([person()]);
    expect(outcome).toEqual({ deliveryId: 'delivery-1', outcome: 'skipped', reason: 'not_found_at_vendor' });
    expect(consentOf(plain, austrian)).toBeUndefined();
    // HubSpot's national digits of that number are the person's: the search returns it, verification drops it.
    expect(calculatePhone('+43 1 51123 45678')?.national).toBe(calculatePhone(PERSON)?.national);
  });

  it('finds a person by email alone, whatever its case', async () => {
    const [id] = seed(plain, { email: 'Jane.Doe@Example.com' });
    const [outcome] = await (
      await connector(plain, plainUrl)
    ).pushConsent([person({ phones: [], emails: ['jane.doe@example.com'] })]);
    expect(written(outcome)).toEqual([id]);
  });

  it('writes the linked records without searching, all of them', async () => {
    const ids = seed(plain, { phone: '+1 650 253 0000' }, { email: 'linked@example.com' });
    const [unrelated] = seed(plain, { phone: '+49 1511 2345678' });
    const since = plain.state.callLog.recent.length;
    const [outcome] = await (await connector(plain, plainUrl)).pushConsent([person({ remoteIds: ids })]);
    expect(written(outcome)).toEqual(ids);
    const searches = plain.state.callLog.recent
      .slice(since)
      .filter((c) => c.path.startsWith('/crm/v3/objects/contacts/search'));
    expect(searches).toHaveLength(0);
    expect(consentOf(plain, unrelated)).toBeUndefined();
  });

  it('looks a person up again when their linked contact is gone (deleted, or merged into another at HubSpot)', async () => {
    const [survivor] = seed(plain, { phone: '+49 1577 1234567' });
    const [outcome] = await (
      await connector(plain, plainUrl)
    ).pushConsent([person({ phones: ['+4915771234567'], remoteIds: ['987654321'] })]);
    expect(outcome).toMatchObject({ outcome: 'succeeded' });
    expect(written(outcome)).toEqual([survivor]);
    expect(consentOf(plain, survivor)).toBe('OPTED_OUT');
  });

  it('keeps the linked contacts that still exist and drops a gone one without looking up', async () => {
    const [kept] = seed(plain, { phone: '+49 1578 1234567' });
    const [outcome] = await (
      await connector(plain, plainUrl)
    ).pushConsent([person({ phones: ['+4915781234567'], remoteIds: [kept, '987654322'] })]);
    expect(written(outcome)).toEqual([kept]);
  });

  it('looks up 150 people in searches within HubSpot limits', async () => {
    const phones = Array.from({ length: 150 }, (_, i) => `+49151${String(10_000_000 + i)}`);
    const ids = seed(
      plain,
      ...phones.map((p) => ({ phone: `${p.slice(0, 3)} ${p.slice(3, 6)} ${p.slice(6)}` })),
    );
    const items = phones.map((phone, i) => person({ deliveryId: `delivery-${i}`, phones: [phone] }));
    const outcomes = await (await connector(plain, plainUrl)).pushConsent(items);
    expect(outcomes.map((o, i) => written(o)[0] === ids[i])).toEqual(phones.map(() => true));
  });

  it('writes every record HubSpot can find for each of 400 realistically typed people, and only theirs', async () => {
    const { contacts } = plain.seedRealisticContacts({ count: 400, seed: 8 });
    const byNumber = new Map<string, typeof contacts>();
    for (const c of contacts) {
      if (c.person.e164) byNumber.set(c.person.e164, [...(byNumber.get(c.person.e164) ?? []), c]);
    }
    const numbers = [...byNumber.keys()];
    const items = numbers.map((phone, i) => person({ deliveryId: `delivery-${i}`, phones: [phone] }));

    const outcomes = await (await connector(plain, plainUrl)).pushConsent(items);

    const problems: string[] = [];
    outcomes.forEach((outcome, i) => {
      const records = byNumber.get(numbers[i])!;
      const theirs = new Set(records.map((r) => r.id));
      const got = outcome.outcome === 'succeeded' ? written(outcome) : [];
      for (const id of got) if (!theirs.has(id)) problems.push(`record ${id} written for another person`);
      for (const { id, person: p } of records) {
        if (p.expectedMatchable && !got.includes(id)) problems.push(`missed ${p.format} in ${p.property}`);
      }
    });
    expect(problems).toEqual([]);
    expect(contacts.filter((c) => c.person.expectedMatchable).length).toBeGreaterThan(200);
  });
});
