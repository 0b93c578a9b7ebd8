import { randomUUID } from 'node:crypto';
import { Connection } from 'jsforce';
import type {
  ConnectionCredentials,
  ConnectorDeps,
  ConsentPush,
  PushOutcome,
} from '../../src/modules/connectors/connector.port';
import {
  SALESFORCE_API_VERSION,
  SalesforceClient,
  SalesforceConnector,
  SalesforceOAuth,
} from '../../src/modules/connectors/salesforce';
import { SalesforceSimulator, type SfRecord } from '../../sandbox/salesforce';
import { sandboxOutbound } from '../support/outbound';

/**
 * How the Salesforce connector finds every record of a person, however the number was typed: SOSL phone search,
 * email, ContactPointPhone and stored links, each hit verified; and how records that appear later reach the
 * gateway through the change poll. Real jsforce 3.10.16 against the Salesforce simulator over HTTP.
 */
const CLIENT = { clientId: '3MVG9gatewayClientId', clientSecret: 'gateway-consumer-secret' };
const REDIRECT_URI = 'http://127.0.0.1:1/v1/connections/salesforce/callback';
const BOTH = ['Contact', 'Lead'];

let sim: SalesforceSimulator;
let base: string;
const oauth = new SalesforceOAuth(CLIENT, sandboxOutbound());

beforeAll(async () => {
  sim = new SalesforceSimulator(CLIENT);
  base = await sim.start();
});

afterAll(async () => {
  await sim.stop();
});

beforeEach(() => {
  sim.reset();
});

async function credentials(): Promise<ConnectionCredentials> {
  const url = oauth.authorizeUrl({ authBaseUrl: base, redirectUri: REDIRECT_URI, state: 's' });
  const res = await fetch(url, { redirect: 'manual' });
  const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
  return (await oauth.exchangeCode({ apiBaseUrl: base, code, redirectUri: REDIRECT_URI })).credentials;
}

async function connector(options: { targets?: string[]; phoneRegion?: string | null } = {}) {
  const deps: ConnectorDeps = {
    onCredentials: async () => {},
    beforeRefresh: async () => {},
    pace: async () => {},
    oauthClient: CLIENT,
    publicBaseUrl: 'http://gateway.test',
    outbound: sandboxOutbound(),
  };
  const creds = await credentials();
  const c = new SalesforceConnector(
    {
      id: randomUUID(),
      type: 'salesforce',
      name: 'Sandbox org',
      baseUrl: base,
      loginUrl: base,
      externalAccountId: null,
      mapping: { targets: options.targets ?? ['Contact'] },
      erasureMode: 'hard_delete',
      credentials: creds,
      phoneRegion: options.phoneRegion ?? null,
    },
    deps,
  );
  return { c, creds };
}

function push(fields: Partial<ConsentPush> = {}): ConsentPush {
  return {
    deliveryId: randomUUID(),
    subjectId: randomUUID(),
    phones: [],
    waId: null,
    emails: [],
    remoteIds: [],
    states: [
      {
        purpose: 'marketing',
        channel: 'whatsapp',
        scope: '*',
        status: 'withdrawn',
        capturedAt: '2026-03-01T10:00:00.000Z',
        source: 'whatsapp',
        eventId: 'evt-stop',
        method: 'wa_keyword',
        legalBasis: 'consent',
      },
    ],
    ...fields,
  };
}

const records = (type: string): SfRecord[] => [...sim.state.records[type].values()];
const record = (type: string, id: string): SfRecord => sim.state.records[type].get(id)!;
const searches = () => sim.state.requests.filter((r) => r.path.includes('/search?'));

function written(outcome: PushOutcome) {
  if (outcome.outcome !== 'succeeded') throw new Error(`expected success, got ${JSON.stringify(outcome)}`);
  return outcome.records ?? [];
}

/** The consent status written on the Individual of a record (null when it has none). */
function statusOf(type: string, id: string): unknown {
  const individualId = record(type, id).IndividualId;
  if (!individualId) return null;
  return (
    records('ContactPointTypeConsent').find((r) => r.PartyId === individualId)?.PrivacyConsentStatus ?? null
  );
}

function contact(fields: Record<string, unknown>): string {
  return sim.seed({ contacts: [{ FirstName: 'Ada', LastName: 'Lovelace', ...fields }] }).Contact[0];
}

function lead(fields: Record<string, unknown>): string {
  return sim.seed({ leads: [{ LastName: 'Lovelace', Company: 'Analytical Engines', ...fields }] }).Lead[0];
}

describe('SalesforceConnector finding the person', () => {
  describe('by phone, however it was typed', () => {
    it('finds a US-formatted national number through the connection region, and not without one', async () => {
      const id = contact({ Phone: '(650) 253-0000' });
      const us = (await connector({ phoneRegion: 'US' })).c;
      const [outcome] = await us.pushConsent([push({ phones: ['+16502530000'] })]);
      expect(written(outcome)).toEqual([{ remoteId: id, recordType: 'Contact' }]);
      expect(statusOf('Contact', id)).toBe('OptOut');

      sim.reset();
      contact({ Phone: '(650) 253-0000' });
      const nowhere = (await connector({ phoneRegion: null })).c;
      expect(await nowhere.pushConsent([push({ phones: ['+16502530000'] })])).toEqual([
        expect.objectContaining({ outcome: 'skipped', reason: 'not_found_at_vendor' }),
      ]);
    });

    it('finds an international number typed with spaces', async () => {
      const id = contact({ MobilePhone: '+49 1511 2345678' });
      const [outcome] = await (await connector()).c.pushConsent([push({ phones: ['+4915112345678'] })]);
      expect(written(outcome)).toEqual([{ remoteId: id, recordType: 'Contact' }]);
    });

    it("reads a national number in the record's own country before the connection region", async () => {
      const id = contact({ MobilePhone: '0151 12345678', MailingCountryCode: 'DE' });
      const { c } = await connector({ phoneRegion: 'US' });
      const [outcome] = await c.pushConsent([push({ phones: ['+4915112345678'] })]);
      expect(written(outcome)).toEqual([{ remoteId: id, recordType: 'Contact' }]);
    });

    it('finds a record that has only a MobilePhone', async () => {
      const id = contact({ Phone: null, MobilePhone: '+1 650-253-0000' });
      const [outcome] = await (await connector()).c.pushConsent([push({ phones: ['+16502530000'] })]);
      expect(written(outcome)).toEqual([{ remoteId: id, recordType: 'Contact' }]);
      expect(statusOf('Contact', id)).toBe('OptOut');
    });

    it('does not write a record with the same digits in another country', async () => {
      const german = contact({ MobilePhone: '0151 12345678', MailingCountryCode: 'DE' });
      const austrian = contact({
        FirstName: 'Other',
        MobilePhone: '0151 12345678',
        MailingCountryCode: 'AT',
      });
      const [outcome] = await (await connector()).c.pushConsent([push({ phones: ['+4915112345678'] })]);
      expect(written(outcome)).toEqual([{ remoteId: german, recordType: 'Contact' }]);
      expect(record('Contact', austrian).IndividualId ?? null).toBeNull();
    });

    it('writes every duplicate: a Contact and a Lead of one person, each on its own Individual', async () => {
      const [individualA, individualB] = sim.seed({ individuals: 2 }).Individual;
      const c1 = contact({ Phone: '+16502530000', IndividualId: individualA });
      const l1 = lead({ MobilePhone: '650.253.0000', CountryCode: 'US', IndividualId: individualB });
      const l2 = lead({ MobilePhone: '(650) 253 0000', CountryCode: 'US' });
      const { c } = await connector({ targets: BOTH });
      const [outcome] = await c.pushConsent([push({ phones: ['+16502530000'] })]);
      expect(written(outcome)).toEqual(
        [
          { remoteId: c1, recordType: 'Contact' },
          { remoteId: l1, recordType: 'Lead' },
          { remoteId: l2, recordType: 'Lead' },
        ].sort((a, b) => (a.remoteId < b.remoteId ? -1 : 1)),
      );
      expect([statusOf('Contact', c1), statusOf('Lead', l1), statusOf('Lead', l2)]).toEqual([
        'OptOut',
        'OptOut',
        'OptOut',
      ]);
      // The Lead without an Individual joins the person's first one instead of getting a third.
      expect(records('Individual')).toHaveLength(2);
    });

    it('leaves a converted Lead alone: the Contact it became carries the person', async () => {
      const converted = lead({ MobilePhone: '+16502530000', IsConverted: true });
      const id = contact({ MobilePhone: '+16502530000' });
      const { c } = await connector({ targets: BOTH });
      const [outcome] = await c.pushConsent([push({ phones: ['+16502530000'] })]);
      expect(written(outcome)).toEqual([{ remoteId: id, recordType: 'Contact' }]);
      expect(record('Lead', converted).IndividualId ?? null).toBeNull();
    });

    it('finds the person through a ContactPointPhone of their Individual', async () => {
      const individual = sim.seed({ individuals: 1 }).Individual[0];
      sim.seed({
        records: { ContactPointPhone: [{ ParentId: individual, TelephoneNumber: '+1 (650) 253-0000' }] },
      });
      const id = contact({ Phone: null, MobilePhone: null, IndividualId: individual });
      const [outcome] = await (await connector()).c.pushConsent([push({ phones: ['+16502530000'] })]);
      expect(written(outcome)).toEqual([{ remoteId: id, recordType: 'Contact' }]);
      expect(statusOf('Contact', id)).toBe('OptOut');
    });

    it("splits a search that reaches Salesforce's 2,000-row cap, so that nobody's record is dropped", async () => {
      sim.seed({
        contacts: Array.from({ length: 2000 }, (_, i) => ({
          LastName: `Busy ${i}`,
          Phone: '+1 650 555 0100',
        })),
      });
      const quiet = contact({ MobilePhone: '+1 650 555 0199' });
      const { c } = await connector();
      const [busy, other] = await c.pushConsent([
        push({ phones: ['+16505550100'] }),
        push({ phones: ['+16505550199'] }),
      ]);
      expect(written(busy)).toHaveLength(2000);
      expect(written(other)).toEqual([{ remoteId: quiet, recordType: 'Contact' }]);
      // One search for both people hits the cap; then one for each.
      expect(searches()).toHaveLength(3);
    });

    it('names ContactPointPhone in the search only when the org holds any, asking once per connector', async () => {
      contact({ MobilePhone: '+16502530000' });
      const { c } = await connector();
      await c.pushConsent([push({ phones: ['+16502530000'] })]);
      await c.pushConsent([push({ phones: ['+16502530000'] })]);
      const paths = searches().map((r) => decodeURIComponent(r.path.replace(/\+/g, ' ')));
      expect(paths).toHaveLength(2);
      expect(paths.some((p) => p.includes('ContactPointPhone'))).toBe(false);
      const probes = sim.state.requests.filter((r) =>
        decodeURIComponent(r.path.replace(/\+/g, ' ')).includes('FROM ContactPointPhone'),
      );
      expect(probes).toHaveLength(1);
    });

    it('does not find a record created within the search index lag (the poll links it later)', async () => {
      sim.setSearchIndexLag(60_000);
      const { c, creds } = await connector();
      const crm = new Connection({
        instanceUrl: base,
        accessToken: creds.accessToken!,
        version: SALESFORCE_API_VERSION,
      });
      await crm.sobject('Contact').create({ LastName: 'New', MobilePhone: '+16502530000' });
      expect(await c.pushConsent([push({ phones: ['+16502530000'] })])).toEqual([
        expect.objectContaining({ outcome: 'skipped', reason: 'not_found_at_vendor' }),
      ]);
    });
  });

  describe('in a realistically typed org', () => {
    it('finds every record of each number, whatever its form, and no record of another number', async () => {
      const seeded = sim.seedRealistic({ contacts: 40, leads: 30, seed: 7 });
      // An extension changes the digits, and the simulator's search (stricter than Salesforce's tokenising one)
      // matches equal digit strings only: such records are found by email or link, not here.
      const findable = seeded.filter((r) => r.expectedE164 && r.form !== 'extension');
      const numbers = [...new Set(findable.map((r) => r.expectedE164!))];
      const { c } = await connector({ targets: BOTH, phoneRegion: 'US' });
      const outcomes = await c.pushConsent(numbers.map((n) => push({ phones: [n] })));

      const found = outcomes.map((o) =>
        written(o)
          .map((r) => r.remoteId)
          .sort(),
      );
      const expected = numbers.map((n) =>
        findable
          .filter((r) => r.expectedE164 === n)
          .map((r) => r.id)
          .sort(),
      );
      expect(found).toEqual(expected);
      expect(findable.length).toBeGreaterThan(40);
    });
  });

  describe('by email', () => {
    it('finds a record whose email differs only in case, without a phone', async () => {
      const id = contact({ Email: 'Ada.Lovelace@Example.com' });
      const { c } = await connector();
      const [outcome] = await c.pushConsent([
        push({ phones: ['+447700900123'], emails: ['ada.lovelace@example.com'] }),
      ]);
      expect(written(outcome)).toEqual([{ remoteId: id, recordType: 'Contact' }]);
    });
  });

  describe('by link', () => {
    it('uses linked records without searching', async () => {
      const id = contact({ MobilePhone: '+16502530000' });
      const other = contact({ FirstName: 'Unlinked', MobilePhone: '+16502530000' });
      const { c } = await connector();
      const [outcome] = await c.pushConsent([push({ phones: ['+16502530000'], remoteIds: [id] })]);
      expect(written(outcome)).toEqual([{ remoteId: id, recordType: 'Contact' }]);
      expect(searches()).toHaveLength(0);
      expect(record('Contact', other).IndividualId ?? null).toBeNull();
    });

    it("still takes an old link to an Individual, and reports that Individual's records", async () => {
      const individual = sim.seed({ individuals: 1 }).Individual[0];
      const id = contact({ MobilePhone: '+16502530000', IndividualId: individual });
      const { c } = await connector();
      const [outcome] = await c.pushConsent([push({ remoteIds: [individual] })]);
      expect(written(outcome)).toEqual([{ remoteId: id, recordType: 'Contact' }]);
      expect(statusOf('Contact', id)).toBe('OptOut');
      expect(searches()).toHaveLength(0);
    });

    it('searches again when every linked record is gone', async () => {
      const gone = contact({ MobilePhone: '+16502530000' });
      sim.state.records.Contact.delete(gone);
      const id = contact({ MobilePhone: '+1 650 253 0000' });
      const [outcome] = await (
        await connector()
      ).c.pushConsent([push({ phones: ['+16502530000'], remoteIds: [gone] })]);
      expect(written(outcome)).toEqual([{ remoteId: id, recordType: 'Contact' }]);
    });
  });
});

describe(SalesforceClient.name, () => {
  it('answers that the org has no records of an object type it does not have, instead of failing', async () => {
    const client = new SalesforceClient(
      {
        id: randomUUID(),
        type: 'salesforce',
        name: 'Sandbox org',
        baseUrl: base,
        loginUrl: base,
        externalAccountId: null,
        mapping: {},
        erasureMode: 'hard_delete',
        credentials: await credentials(),
        phoneRegion: null,
      },
      {
        onCredentials: async () => {},
        beforeRefresh: async () => {},
        pace: async () => {},
        oauthClient: CLIENT,
        publicBaseUrl: 'http://gateway.test',
        outbound: sandboxOutbound(),
      },
    );
    expect(await client.hasRecords('ContactPointEmail')).toBe(false);
    expect(await client.hasRecords('ContactPointPhone')).toBe(false);
    sim.seed({ individuals: 1 });
    expect(await client.hasRecords('Individual')).toBe(true);
  });
});

describe('SalesforceConnector reading records', () => {
  it('lists each Contact and Lead with its country and stamp, and reports an unreadable consent time', async () => {
    const id = contact({ Phone: '(650) 253-0000', MailingCountryCode: 'US' });
    const leadId = lead({ MobilePhone: '0151 12345678', CountryCode: 'DE' });
    lead({ MobilePhone: '+16505550000', IsConverted: true });
    const { c } = await connector({ targets: BOTH, phoneRegion: 'US' });
    await c.pushConsent([push({ phones: ['+16502530000'] })]);
    const consent = records('ContactPointTypeConsent')[0];
    consent.EffectiveFrom = 'last Tuesday';

    const page = await c.listContacts(null, 100);
    const rest = page.next ? await c.listContacts(page.next, 100) : { contacts: [] };
    const all = [...page.contacts, ...rest.contacts];
    expect(all.map((r) => [r.recordType, r.remoteId])).toEqual([
      ['Contact', id],
      ['Lead', leadId],
    ]);
    expect(all[0]).toEqual({
      remoteId: id,
      recordType: 'Contact',
      phones: [{ field: 'Phone', value: '(650) 253-0000' }],
      email: null,
      region: 'US',
      observedAt: new Date(
        Date.parse(String(record('Contact', id).SystemModstamp).replace('+0000', 'Z')),
      ).toISOString(),
      unreadable: [{ field: 'ContactPointTypeConsent.EffectiveFrom', reason: 'unparseable datetime' }],
      consent: expect.objectContaining({ status: 'withdrawn', capturedAt: '2026-03-01T10:00:00.000Z' }),
    });
    expect(all[1]).toMatchObject({
      region: 'DE',
      phones: [{ field: 'MobilePhone', value: '0151 12345678' }],
    });
  });

  it('polls a Lead created after the cursor, so that the gateway can link it', async () => {
    contact({ MobilePhone: '+16505550101' });
    const { c, creds } = await connector({ targets: BOTH });
    const start = await c.pollChanges(null);
    expect(start.changes).toEqual([]);

    const crm = new Connection({
      instanceUrl: base,
      accessToken: creds.accessToken!,
      version: SALESFORCE_API_VERSION,
    });
    const created = await crm.sobject('Lead').create({
      LastName: 'Hopper',
      Company: 'Navy',
      MobilePhone: '+49 151 12345678',
      CountryCode: 'DE',
    });
    const polled = await c.pollChanges(start.cursor);
    expect(polled.changes).toEqual([
      expect.objectContaining({
        remoteId: created.id,
        recordType: 'Lead',
        phones: [{ field: 'MobilePhone', value: '+49 151 12345678' }],
        region: 'DE',
        consent: null,
      }),
    ]);
    expect((await c.pollChanges(polled.cursor)).changes).toEqual([]);
  });

  it('reads a cursor of the earlier consent-only form', async () => {
    const { c } = await connector();
    const id = contact({ MobilePhone: '+16505550101' });
    const polled = await c.pollChanges('2000-01-01T00:00:00.000Z|');
    expect(polled.changes.map((ch) => ch.remoteId)).toEqual([id]);
    expect(JSON.parse(polled.cursor)).toEqual({
      consent: expect.any(Object),
      Contact: { at: expect.any(String), ids: [id] },
      // The ShouldForget stream, unknown to the old cursor, starts from now.
      forget: expect.any(Object),
    });
  });
});
