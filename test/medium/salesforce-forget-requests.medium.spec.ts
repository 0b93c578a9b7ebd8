import type { INestApplicationContext } from '@nestjs/common';
import { Connection } from 'jsforce';
import type { EntityManager } from 'typeorm';
import { ChangePollService } from '../../src/modules/connectors/change-poll.service';
import { ConnectionRepository } from '../../src/modules/connectors/connection.repository';
import { ConnectionService } from '../../src/modules/connectors/connection.service';
import { ConnectorFactory } from '../../src/modules/connectors/connector.factory';
import { CrmContactImporter } from '../../src/modules/connectors/crm-contact.importer';
import { RecordLinks } from '../../src/modules/connectors/record-links.service';
import { SALESFORCE_API_VERSION, SalesforceOAuth } from '../../src/modules/connectors/salesforce';
import { VendorForgetRequests } from '../../src/modules/connectors/vendor-forget-requests';
import type { IncomingSubjectRequest, SubjectRequestIntake } from '../../src/modules/ledger';
import { SalesforceSimulator } from '../../sandbox/salesforce';
import { startTestContext, testConfig } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { SANDBOX_CLIENT } from '../support/sandbox';
import { sandboxOutbound } from '../support/outbound';

/**
 * Someone sets ShouldForget on an Individual in Salesforce: the change poll hands the gateway an erasure request
 * through SubjectRequestIntake (a recording fake here, given by DI), in the poll's transaction, once per change.
 */
const ORG_ID = '00Dxx0000001gPLEAY';
const REDIRECT_URI = 'http://127.0.0.1:1/v1/connections/salesforce/callback';

/** Records what it receives; fails on demand (the poll's transaction must then keep its cursor). */
class RecordingIntake implements SubjectRequestIntake {
  readonly received: IncomingSubjectRequest[] = [];
  failNext = false;
  receive(_manager: EntityManager, request: IncomingSubjectRequest): Promise<{ requestId: string }> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('intake unavailable'));
    }
    this.received.push(request);
    return Promise.resolve({ requestId: `req-${this.received.length}` });
  }
}

describe(VendorForgetRequests.name, () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let sim: SalesforceSimulator;
  let base: string;
  let intake: RecordingIntake;
  let poller: ChangePollService;
  let crm: Connection;
  let connectionId: string;

  beforeAll(async () => {
    sim = new SalesforceSimulator({ clientId: SANDBOX_CLIENT.id, clientSecret: SANDBOX_CLIENT.secret });
    base = await sim.start();
    db = await createTestDatabase();
    app = await startTestContext(
      db.url,
      testConfig(db.url, {
        OUTBOUND_ALLOWLIST: '127.0.0.1:*',
        SALESFORCE_CLIENT_ID: SANDBOX_CLIENT.id,
        SALESFORCE_CLIENT_SECRET: SANDBOX_CLIENT.secret,
      }),
    );
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await sim.stop();
  });

  // Each test connects the org afresh; the one before is disconnected first, as an admin would (a second live
  // connection to one org is refused).
  afterEach(async () => {
    if (connectionId) await app.get(ConnectionService).disconnect(connectionId);
  });

  beforeEach(async () => {
    sim.reset();
    const oauth = new SalesforceOAuth(
      { clientId: SANDBOX_CLIENT.id, clientSecret: SANDBOX_CLIENT.secret },
      sandboxOutbound(),
    );
    const authorize = await fetch(
      oauth.authorizeUrl({ authBaseUrl: base, redirectUri: REDIRECT_URI, state: 's' }),
      {
        redirect: 'manual',
      },
    );
    const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!;
    const { credentials } = await oauth.exchangeCode({ apiBaseUrl: base, code, redirectUri: REDIRECT_URI });
    connectionId = (
      await app.get(ConnectionService).create({
        type: 'salesforce',
        name: `org ${Date.now()}`,
        baseUrl: base,
        loginUrl: base,
        credentials,
        externalAccountId: ORG_ID,
        mapping: { targets: ['Contact', 'Lead'] },
      })
    ).id;
    crm = new Connection({
      instanceUrl: base,
      accessToken: credentials.accessToken!,
      version: SALESFORCE_API_VERSION,
    });
    intake = new RecordingIntake();
    const links = app.get(RecordLinks);
    poller = new ChangePollService(
      app.get(ConnectionService),
      links,
      app.get(ConnectionRepository),
      app.get(ConnectorFactory),
      app.get(CrmContactImporter),
      new VendorForgetRequests(links, intake),
    );
  });

  const person = async () =>
    (await db.query<{ id: string }>(`INSERT INTO subject DEFAULT VALUES RETURNING id`))[0].id;

  /** An Individual with one Contact; the Contact linked to a person of the gateway when `subjectId` is given. */
  async function seed(subjectId: string | null) {
    const individual = sim.seed({ individuals: [{ LastName: 'Lovelace' }] }).Individual[0];
    const contact = sim.seed({
      contacts: [{ LastName: 'Lovelace', MobilePhone: '+16505550101', IndividualId: individual }],
    }).Contact[0];
    if (subjectId)
      await app
        .get(RecordLinks)
        .link(undefined, connectionId, [
          { subjectId, remoteId: contact, recordType: 'Contact', pushed: null },
        ]);
    return { individual, contact };
  }

  const stampOf = (individual: string) =>
    new Date(
      String(sim.state.records.Individual.get(individual)!.SystemModstamp).replace('+0000', 'Z'),
    ).toISOString();

  it('receives one erasure request for the linked person per ShouldForget change, however often the poll runs', async () => {
    const subjectId = await person();
    const { individual } = await seed(subjectId);
    await poller.poll(connectionId);
    await crm.sobject('Individual').update({ Id: individual, ShouldForget: true });

    await poller.poll(connectionId);
    await poller.poll(connectionId);
    expect(intake.received).toEqual([
      {
        type: 'erasure',
        origin: 'salesforce_should_forget',
        dedupeKey: `salesforce:${ORG_ID}:${individual}:${stampOf(individual)}`,
        subjectId,
        identities: [],
        receivedAt: expect.any(Date) as Date,
        originConnectionId: connectionId,
        originEvidence: { record_type: 'Individual', records_at_vendor: 1, linked: true },
      },
    ]);

    // A later edit of the flagged Individual is another change: received again (the intake absorbs it by person).
    await crm.sobject('Individual').update({ Id: individual, FirstName: 'Ada' });
    await poller.poll(connectionId);
    expect(intake.received).toHaveLength(2);
    expect(intake.received[1].dedupeKey).toBe(`salesforce:${ORG_ID}:${individual}:${stampOf(individual)}`);
  });

  it('hands over the records’ identifiers when the gateway never linked the person', async () => {
    const { individual } = await seed(null);
    await poller.poll(connectionId);
    await crm.sobject('Individual').update({ Id: individual, ShouldForget: true });
    await poller.poll(connectionId);
    expect(intake.received).toEqual([
      expect.objectContaining({
        subjectId: null,
        identities: [{ kind: 'phone', value: '+16505550101', region: null }],
        originEvidence: { record_type: 'Individual', records_at_vendor: 1, linked: false },
      }),
    ]);
  });

  it('keeps the cursor when the intake fails, so the request is received on the next poll', async () => {
    const subjectId = await person();
    const { individual } = await seed(subjectId);
    await poller.poll(connectionId);
    await crm.sobject('Individual').update({ Id: individual, ShouldForget: true });

    intake.failNext = true;
    await expect(poller.poll(connectionId)).rejects.toThrow('intake unavailable');
    await poller.poll(connectionId);
    expect(intake.received.map((r) => r.subjectId)).toEqual([subjectId]);
  });
});
