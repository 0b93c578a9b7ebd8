import { Connection } from 'jsforce';
import { SALESFORCE_API_VERSION, SalesforceOAuth } from '../../src/modules/connectors/salesforce';
import { SalesforceSimulator } from '../../sandbox/salesforce';
import { sandboxOutbound } from '../support/outbound';

/**
 * The simulator's delete rules (sandbox/salesforce/delete-rules.ts), through the real jsforce: lookups never
 * cascade, optional ones are cleared, a required one refuses the parent's delete.
 */
const CLIENT = { clientId: '3MVG9gatewayClientId', clientSecret: 'gateway-consumer-secret' };
const REDIRECT_URI = 'http://127.0.0.1:1/v1/connections/salesforce/callback';

let sim: SalesforceSimulator;
let conn: Connection;

beforeAll(async () => {
  sim = new SalesforceSimulator(CLIENT);
  const base = await sim.start();
  const oauth = new SalesforceOAuth(CLIENT, sandboxOutbound());
  const res = await fetch(oauth.authorizeUrl({ authBaseUrl: base, redirectUri: REDIRECT_URI, state: 's' }), {
    redirect: 'manual',
  });
  const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
  const { credentials } = await oauth.exchangeCode({ apiBaseUrl: base, code, redirectUri: REDIRECT_URI });
  conn = new Connection({
    instanceUrl: base,
    accessToken: credentials.accessToken!,
    version: SALESFORCE_API_VERSION,
  });
});

afterAll(async () => {
  await sim.stop();
});

function seed() {
  const individual = sim.seed({ individuals: [{ LastName: 'Lovelace', ShouldForget: true }] }).Individual[0];
  const contact = sim.seed({ contacts: [{ LastName: 'Lovelace', IndividualId: individual }] }).Contact[0];
  const consent = sim.seed({
    records: { ContactPointTypeConsent: [{ Name: 'WhatsApp Marketing', PartyId: individual }] },
  }).ContactPointTypeConsent[0];
  return { individual, contact, consent };
}

describe('Salesforce simulator deletes', () => {
  it('leaves the Individual of a deleted Contact in place', async () => {
    const { individual, contact } = seed();
    await conn.sobject('Contact').destroy(contact);
    expect(sim.state.records.Contact.has(contact)).toBe(false);
    expect(sim.state.records.Individual.get(individual)).toMatchObject({ ShouldForget: true });
  });

  it('clears the optional lookups to a deleted Individual (Contact.IndividualId, ContactPointTypeConsent.PartyId)', async () => {
    const { individual, contact, consent } = seed();
    await conn.sobject('Individual').destroy(individual);
    expect(sim.state.records.Contact.get(contact)?.IndividualId).toBeNull();
    expect(sim.state.records.ContactPointTypeConsent.get(consent)?.PartyId).toBeNull();
  });

  it('refuses to delete an Individual a contact point still requires, with DELETE_FAILED per record', async () => {
    const { individual } = seed();
    const phone = sim.seed({
      records: { ContactPointPhone: [{ ParentId: individual, TelephoneNumber: '+1 650' }] },
    }).ContactPointPhone[0];
    const [result] = await conn.sobject('Individual').destroy([individual], { allOrNone: false });
    expect(result).toMatchObject({
      success: false,
      errors: [expect.objectContaining({ statusCode: 'DELETE_FAILED' })],
    });
    expect(sim.state.records.Individual.has(individual)).toBe(true);

    await conn.sobject('ContactPointPhone').destroy(phone);
    await conn.sobject('Individual').destroy(individual);
    expect(sim.state.records.Individual.has(individual)).toBe(false);
  });
});
