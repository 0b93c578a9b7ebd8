import { randomUUID } from 'node:crypto';
import { Connection } from 'jsforce';
import type {
  ConnectionCredentials,
  ErasureMode,
  ErasurePush,
  RequestOutcome,
  SubjectRef,
} from '../../src/modules/connectors/connector.port';
import {
  SALESFORCE_API_VERSION,
  SalesforceConnector,
  SalesforceOAuth,
} from '../../src/modules/connectors/salesforce';
import { SalesforceSimulator, type SfRecord } from '../../sandbox/salesforce';
import { sandboxOutbound } from '../support/outbound';

/**
 * The data-subject request operations of the Salesforce connector (erase, restrict, rectify, readPerson) and the
 * ShouldForget stream of its change poll, through the real jsforce 3.10.16 against the Salesforce simulator.
 */
const CLIENT = { clientId: '3MVG9gatewayClientId', clientSecret: 'gateway-consumer-secret' };
const REDIRECT_URI = 'http://127.0.0.1:1/v1/connections/salesforce/callback';
const PHONE = '+16505550101';
const EMAIL = 'ada@example.com';

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

async function connector(erasureMode: ErasureMode = 'hard_delete') {
  const creds = await credentials();
  const c = new SalesforceConnector(
    {
      id: randomUUID(),
      type: 'salesforce',
      name: 'Sandbox org',
      baseUrl: base,
      loginUrl: base,
      externalAccountId: '00Dxx0000001gPLEAY',
      mapping: { targets: ['Contact', 'Lead'] },
      erasureMode,
      credentials: creds,
      phoneRegion: 'US',
    },
    {
      onCredentials: async () => {},
      beforeRefresh: async () => {},
      pace: async () => {},
      oauthClient: CLIENT,
      publicBaseUrl: 'http://127.0.0.1:1',
      outbound: sandboxOutbound(),
    },
  );
  const crm = new Connection({
    instanceUrl: base,
    accessToken: creds.accessToken!,
    version: SALESFORCE_API_VERSION,
  });
  return { c, crm };
}

function ref(fields: Partial<SubjectRef> = {}): SubjectRef {
  return {
    deliveryId: randomUUID(),
    subjectId: randomUUID(),
    requestId: randomUUID(),
    phones: [PHONE],
    emails: [EMAIL],
    remoteIds: [],
    ...fields,
  };
}

const erasure = (mode: ErasureMode, fields: Partial<SubjectRef> = {}): ErasurePush => ({
  ...ref(fields),
  mode,
});
const live = (type: string): SfRecord[] => [...sim.state.records[type].values()];
const gone = (type: string): SfRecord[] => [...sim.state.deleted[type].values()];
const writes = () =>
  sim.state.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/services/data/'));

function succeeded(outcome: RequestOutcome) {
  if (outcome.outcome !== 'succeeded') throw new Error(`expected success, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/** Ada: a Contact typed in US national form, a duplicate Lead by email, an Individual with a consent and a phone. */
function seedAda() {
  const individual = sim.seed({ individuals: [{ FirstName: 'Ada', LastName: 'Lovelace' }] }).Individual[0];
  const contact = sim.seed({
    contacts: [
      {
        FirstName: 'Ada',
        LastName: 'Lovelace',
        MobilePhone: '(650) 555-0101',
        Email: 'Ada@Example.com',
        MailingCountryCode: 'US',
        MailingStreet: '12 St James Square',
        Title: 'Analyst',
        IndividualId: individual,
      },
    ],
  }).Contact[0];
  const lead = sim.seed({
    leads: [{ FirstName: 'Ada', LastName: 'Lovelace', Company: 'Ada Lovelace', Email: EMAIL }],
  }).Lead[0];
  const seeded = sim.seed({
    records: {
      ContactPointTypeConsent: [
        { Name: 'WhatsApp Marketing', PartyId: individual, PrivacyConsentStatus: 'OptOut' },
      ],
      ContactPointPhone: [{ ParentId: individual, TelephoneNumber: '+1 650 555 0101' }],
      ContactPointEmail: [{ ParentId: individual, EmailAddress: EMAIL }],
    },
  });
  return {
    individual,
    contact,
    lead,
    consent: seeded.ContactPointTypeConsent[0],
    phonePoint: seeded.ContactPointPhone[0],
    emailPoint: seeded.ContactPointEmail[0],
  };
}

describe(`${SalesforceConnector.name} data-subject requests`, () => {
  describe('erase', () => {
    it('sets ShouldForget, then deletes the Contact, the duplicate Lead, the Individual and its consent and contact points when the mode is hard_delete', async () => {
      const ada = seedAda();
      const other = sim.seed({ contacts: [{ LastName: 'Hopper', MobilePhone: '+16505550102' }] }).Contact[0];
      const { c } = await connector();
      const [outcome] = await c.erase([erasure('hard_delete')]);

      for (const type of [
        'Contact',
        'Lead',
        'Individual',
        'ContactPointTypeConsent',
        'ContactPointPhone',
        'ContactPointEmail',
      ])
        expect(live(type).map((r) => r.Id)).toEqual(type === 'Contact' ? [other] : []);
      // The Lead had no Individual: it was given Ada's, which got the flags before everything was deleted.
      expect(gone('Individual')).toEqual([
        expect.objectContaining({ Id: ada.individual, ShouldForget: true, HasOptedOutProcessing: true }),
      ]);
      expect(gone('Lead')[0].IndividualId).toBe(ada.individual);
      expect(succeeded(outcome).evidence).toEqual({
        erasure_mode_used: 'hard_delete',
        should_forget_set: true,
        already_erased: false,
        records_erased: 6,
        records_by_type: [
          'Contact=1',
          'ContactPointEmail=1',
          'ContactPointPhone=1',
          'ContactPointTypeConsent=1',
          'Individual=1',
          'Lead=1',
        ],
        fields_affected: ['Individual.HasOptedOutProcessing', 'Individual.ShouldForget'],
      });
    });

    it('overwrites names, phones, emails and address, deletes the contact points and keeps the Individual flagged when the mode is mask_fields', async () => {
      const ada = seedAda();
      const { c } = await connector('mask_fields');
      const [outcome] = await c.erase([erasure('mask_fields')]);

      const contact = sim.state.records.Contact.get(ada.contact)!;
      expect(contact).toMatchObject({
        FirstName: null,
        LastName: 'Erased (Consent Gateway)',
        MobilePhone: null,
        Email: null,
        MailingStreet: null,
        Title: null,
      });
      expect(sim.state.records.Lead.get(ada.lead)).toMatchObject({
        LastName: 'Erased (Consent Gateway)',
        Company: 'Erased (Consent Gateway)',
        Email: null,
      });
      expect(sim.state.records.Individual.get(ada.individual)).toMatchObject({
        FirstName: null,
        LastName: 'Erased (Consent Gateway)',
        ShouldForget: true,
        HasOptedOutProcessing: true,
      });
      expect(live('ContactPointPhone')).toEqual([]);
      expect(live('ContactPointEmail')).toEqual([]);
      expect(live('ContactPointTypeConsent').map((r) => r.Id)).toEqual([ada.consent]);
      // No personal value survives anywhere in the org's live records.
      expect(JSON.stringify(sim.snapshot().records)).not.toMatch(/Lovelace|555|ada@/i);
      const evidence = succeeded(outcome).evidence!;
      expect(evidence).toMatchObject({ erasure_mode_used: 'mask_fields', records_masked: 5 });
      expect(evidence.fields_affected).toEqual(
        expect.arrayContaining(['Contact.MobilePhone', 'Lead.Company', 'Individual.LastName']),
      );
      expect(JSON.stringify(outcome)).not.toMatch(/Lovelace|555|ada@/i);
    });

    it('succeeds again without writing anything when the person was already erased', async () => {
      const ada = seedAda();
      const { c } = await connector();
      const first = erasure('hard_delete', { remoteIds: [ada.contact, ada.lead] });
      succeeded((await c.erase([first]))[0]);
      const before = writes().length;

      const [again] = await c.erase([{ ...first, deliveryId: randomUUID() }]);
      expect(succeeded(again).evidence).toMatchObject({ already_erased: true, records_erased: 0 });
      expect(writes().length).toBe(before);
    });

    it('finishes an erasure interrupted after the Contact was deleted: the Individual it pointed at goes too', async () => {
      const ada = seedAda();
      const { c, crm } = await connector();
      await crm.sobject('Contact').destroy(ada.contact);
      expect(sim.state.records.Individual.has(ada.individual)).toBe(true);

      const [outcome] = await c.erase([
        erasure('hard_delete', { phones: [], emails: [], remoteIds: [ada.contact] }),
      ]);
      expect(succeeded(outcome).evidence).toMatchObject({ already_erased: false });
      expect(live('Individual')).toEqual([]);
      expect(live('ContactPointPhone')).toEqual([]);
    });

    it('erases a converted Lead of the person’s Individual too (a consent push leaves it out)', async () => {
      const ada = seedAda();
      const converted = sim.seed({
        leads: [{ LastName: 'Lovelace', Company: 'Old Co', IsConverted: true, IndividualId: ada.individual }],
      }).Lead[0];
      const { c } = await connector();
      succeeded((await c.erase([erasure('hard_delete')]))[0]);
      expect(gone('Lead').map((r) => r.Id)).toContain(converted);
    });

    it('erases 250 people in one call with a bounded number of API requests', async () => {
      const contacts = sim.seed({
        contacts: Array.from({ length: 250 }, (_, i) => ({
          LastName: `Person ${i}`,
          MobilePhone: `+1650555${String(1000 + i)}`,
        })),
      }).Contact;
      const { c } = await connector();
      const before = sim.state.requests.length;
      const outcomes = await c.erase(
        contacts.map((id, i) =>
          erasure('hard_delete', { phones: [`+1650555${String(1000 + i)}`], emails: [], remoteIds: [id] }),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === 'succeeded')).toHaveLength(250);
      expect(live('Contact')).toEqual([]);
      expect(live('Individual')).toEqual([]);
      expect(sim.state.requests.length - before).toBeLessThan(40);
    });

    it('skips a person Salesforce never held as not_found_at_vendor', async () => {
      seedAda();
      const { c } = await connector();
      const [outcome] = await c.erase([erasure('hard_delete', { phones: ['+4915112345678'], emails: [] })]);
      expect(outcome).toEqual({
        deliveryId: outcome.deliveryId,
        outcome: 'skipped',
        reason: 'not_found_at_vendor',
      });
      expect(live('Contact')).toHaveLength(1);
    });
  });

  describe('restrict', () => {
    it('sets HasOptedOutProcessing on the person’s Individual, and clears it when the restriction is lifted', async () => {
      const ada = seedAda();
      const { c } = await connector();
      const [set] = await c.restrict([{ ...ref(), restricted: true, states: [] }]);
      expect(sim.state.records.Individual.get(ada.individual)?.HasOptedOutProcessing).toBe(true);
      expect(succeeded(set).evidence).toMatchObject({ restricted: true, individuals_updated: 1 });

      const [lifted] = await c.restrict([{ ...ref(), restricted: false, states: [] }]);
      expect(sim.state.records.Individual.get(ada.individual)?.HasOptedOutProcessing).toBe(false);
      expect(succeeded(lifted).evidence).toMatchObject({ restricted: false, individuals_updated: 1 });
    });

    it('writes nothing when the Individual already says so', async () => {
      seedAda();
      const { c } = await connector();
      await c.restrict([{ ...ref(), restricted: true, states: [] }]);
      const before = writes().length;
      const [again] = await c.restrict([{ ...ref(), restricted: true, states: [] }]);
      expect(succeeded(again).evidence).toMatchObject({ individuals_updated: 0, individuals_already_set: 1 });
      expect(writes().length).toBe(before);
    });
  });

  describe('rectify', () => {
    it('replaces the previous number and email in every field that holds them, compared normalised', async () => {
      const ada = seedAda();
      const { c } = await connector();
      const item = {
        ...ref({ phones: ['+16505550199'], emails: ['ada@lovelace.example'] }),
        previous: { phones: [PHONE], emails: [EMAIL] },
        current: { phones: ['+16505550199'], emails: ['ada@lovelace.example'] },
      };
      const [outcome] = await c.rectify([item]);

      expect(sim.state.records.Contact.get(ada.contact)).toMatchObject({
        MobilePhone: '+16505550199',
        Email: 'ada@lovelace.example',
      });
      const lead = sim.state.records.Lead.get(ada.lead)!;
      expect(lead.Email).toBe('ada@lovelace.example');
      // The Lead held no number: the correction replaces, it never adds one.
      expect(lead.MobilePhone ?? null).toBeNull();
      expect(sim.state.records.ContactPointPhone.get(ada.phonePoint)?.TelephoneNumber).toBe('+16505550199');
      expect(sim.state.records.ContactPointEmail.get(ada.emailPoint)?.EmailAddress).toBe(
        'ada@lovelace.example',
      );
      expect(succeeded(outcome).evidence).toEqual({
        records_updated: 4,
        records_found: 2,
        fields_affected: [
          'Contact.Email',
          'Contact.MobilePhone',
          'ContactPointEmail.EmailAddress',
          'ContactPointPhone.TelephoneNumber',
          'Lead.Email',
        ],
      });

      const before = writes().length;
      const [again] = await c.rectify([{ ...item, deliveryId: randomUUID() }]);
      expect(succeeded(again).evidence).toMatchObject({ records_updated: 0, records_found: 2 });
      expect(writes().length).toBe(before);
    });
  });

  describe('readPerson', () => {
    it('reads the Contact, the Lead, the Individual and its consent and contact points, values as Salesforce has them', async () => {
      const ada = seedAda();
      const { c } = await connector();
      const [outcome] = await c.readPerson([ref()]);
      const data = succeeded(outcome).data!;
      const byType = Object.fromEntries(data.map((r) => [r.recordType, r]));
      expect(Object.keys(byType).sort()).toEqual([
        'Contact',
        'ContactPointEmail',
        'ContactPointPhone',
        'ContactPointTypeConsent',
        'Individual',
        'Lead',
      ]);
      expect(byType.Contact).toMatchObject({
        remoteId: ada.contact,
        fields: {
          FirstName: 'Ada',
          MobilePhone: '(650) 555-0101',
          MailingStreet: '12 St James Square',
          Title: 'Analyst',
        },
      });
      expect(byType.Lead.fields).toMatchObject({ Company: 'Ada Lovelace', Email: EMAIL });
      expect(byType.Individual.fields).toMatchObject({ LastName: 'Lovelace', ShouldForget: false });
      expect(byType.ContactPointTypeConsent.fields).toMatchObject({ PrivacyConsentStatus: 'OptOut' });
      expect(succeeded(outcome).evidence).toEqual({
        records_read: 6,
        records_by_type: [
          'Contact=1',
          'ContactPointEmail=1',
          'ContactPointPhone=1',
          'ContactPointTypeConsent=1',
          'Individual=1',
          'Lead=1',
        ],
      });
    });
  });

  describe('pollChanges: ShouldForget', () => {
    it('reports each Individual a CRM user marked ShouldForget once, with its Contacts and Leads', async () => {
      const ada = seedAda();
      const { c, crm } = await connector();
      const first = await c.pollChanges(null);
      await crm.sobject('Individual').update({ Id: ada.individual, ShouldForget: true });

      const second = await c.pollChanges(first.cursor);
      const stamp = new Date(
        String(sim.state.records.Individual.get(ada.individual)!.SystemModstamp).replace('+0000', 'Z'),
      ).toISOString();
      expect(second.forgetSignals).toEqual([
        {
          changeKey: `${ada.individual}:${stamp}`,
          remoteId: ada.individual,
          recordType: 'Individual',
          records: [{ remoteId: ada.contact, recordType: 'Contact' }],
          identities: [
            { kind: 'phone', value: '(650) 555-0101', region: 'US' },
            { kind: 'email', value: 'Ada@Example.com', region: null },
          ],
        },
      ]);
      expect((await c.pollChanges(second.cursor)).forgetSignals).toEqual([]);
    });

    it('does not report the gateway’s own masking erasure as a request', async () => {
      seedAda();
      const { c } = await connector('mask_fields');
      const first = await c.pollChanges(null);
      succeeded((await c.erase([erasure('mask_fields')]))[0]);
      expect((await c.pollChanges(first.cursor)).forgetSignals).toEqual([]);
    });
  });
});
