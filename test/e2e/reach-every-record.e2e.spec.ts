import { HubSpotSimulator } from '../../sandbox/hubspot';
import { SalesforceSimulator } from '../../sandbox/salesforce';
import { connectByOAuth, SANDBOX_CLIENT, sandboxEnv, signDpas } from '../support/sandbox';
import { textWebhook } from '../support/whatsapp';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';

const CLIENT = SANDBOX_CLIENT;
const SEED = 11;

/**
 * The acceptance of "reach the person in every CRM": 1,000 records in each CRM as real users hold them (numbers in
 * many formats, in different fields, national numbers with a country, duplicates, email-only and malformed records),
 * a STOP from every person, and every record of theirs must carry it.
 */
describe('a STOP reaches every record of the person at both CRMs, however the number was typed', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const hubspot = new HubSpotSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  const salesforce = new SalesforceSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  const connections = { hubspot: '', salesforce: '' };
  let hubspotRecords: ReturnType<HubSpotSimulator['seedRealisticContacts']>['contacts'];
  let salesforceRecords: ReturnType<SalesforceSimulator['seedRealistic']>;

  /**
   * What a record must hold for anyone to find the person: a valid number that says its country ("+…", "00…", the
   * digits with the country code), or a national number on a record that names its country.
   */
  const readable = (typed: string | null, e164: string | null, country: string | null) =>
    !!typed && !!e164 && (/^\s*(\+|00)/.test(typed) || typed.trim() === e164.slice(1) || country !== null);
  const hubspotReachable = () =>
    hubspotRecords.filter((r) => readable(r.person.typed, r.person.e164, r.person.country));
  const salesforceReachable = () =>
    salesforceRecords.filter((r) => readable(r.typed, r.expectedE164, r.country));
  const people = () =>
    new Set([
      ...hubspotReachable().map((r) => r.person.e164!),
      ...salesforceReachable().map((r) => r.expectedE164!),
    ]);

  beforeAll(async () => {
    db = await createTestDatabase();
    const hubspotUrl = await hubspot.start();
    const salesforceUrl = await salesforce.start();
    hubspotRecords = hubspot.seedRealisticContacts({ count: 1000, seed: SEED }).contacts;
    salesforceRecords = salesforce.seedRealistic({ contacts: 700, leads: 300, seed: SEED });
    const port = await freePort();
    gw = await startTestApp({ databaseUrl: db.url, config: testConfig(db.url, sandboxEnv(port)) });

    const hs = await gw.api('/v1/connections', {
      method: 'POST',
      json: {
        type: 'hubspot',
        name: 'HubSpot',
        base_url: hubspotUrl,
        credentials: { access_token: 'pat-na1-sandbox' },
      },
    });
    expect(hs.status).toBe(201);
    connections.hubspot = (await json(hs)).id;
    connections.salesforce = await connectByOAuth(gw.api, 'salesforce', salesforceUrl, 'Salesforce');
    await signDpas(gw, Object.values(connections));
    for (const id of Object.values(connections)) {
      await gw.api(`/v1/connections/${id}/backfill`, { method: 'POST' });
      await eventually(
        async () =>
          (await json(await gw.api(`/v1/connections/${id}/backfill`))).backfill?.status === 'completed',
        120_000,
      );
    }

    let n = 0;
    for (const e164 of people()) {
      const res = await gw.postWebhook(
        textWebhook({
          wamid: `wamid.EVERY${++n}`,
          from: e164.slice(1),
          timestamp: Math.floor(Date.now() / 1000),
        }),
      );
      expect(res.status).toBe(200);
    }
    await eventually(async () => {
      const [open] = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM delivery WHERE status IN ('pending','retrying','in_progress')`,
      );
      const [stops] = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM consent_event WHERE source = 'whatsapp'`,
      );
      return Number(open.n) === 0 && Number(stops.n) === people().size;
    }, 240_000);
  }, 600_000);

  afterAll(async () => {
    await gw?.close();
    await Promise.all([hubspot.stop(), salesforce.stop()]);
    await db?.drop();
  });

  it('holds numbers in at least eight formats, some only in the mobile field, national ones with a country, duplicates', () => {
    expect(new Set(hubspotRecords.map((r) => r.person.format)).size).toBeGreaterThanOrEqual(8);
    expect(new Set(salesforceRecords.map((r) => r.form)).size).toBeGreaterThanOrEqual(8);
    expect(hubspotRecords.some((r) => r.person.property === 'mobilephone')).toBe(true);
    expect(hubspotRecords.some((r) => r.person.format === 'national' && r.person.country)).toBe(true);
    expect(hubspotRecords.some((r) => r.person.duplicate)).toBe(true);
    expect(salesforceRecords.some((r) => r.phoneField === 'MobilePhone')).toBe(true);
  });

  it('writes the withdrawal on every HubSpot record of every person, duplicates included', () => {
    const missed = hubspotReachable().filter(
      (r) => hubspot.portal().contacts.get(r.id)?.properties.wa_marketing_consent !== 'OPTED_OUT',
    );
    expect(missed.map((r) => `${r.person.format}: ${r.person.typed}`)).toEqual([]);
  });

  it('writes the withdrawal for every Salesforce Contact and Lead of every person', () => {
    const records = salesforce.state.records;
    const optedOut = new Set(
      [...records.ContactPointTypeConsent.values()]
        .filter((c) => c.PrivacyConsentStatus === 'OptOut')
        .map((c) => String(c.PartyId)),
    );
    const missed = salesforceReachable().filter((r) => {
      const individual = records[r.type].get(r.id)?.IndividualId;
      return typeof individual !== 'string' || !optedOut.has(individual);
    });
    expect(missed.map((r) => `${r.type} ${r.form}: ${r.typed}`)).toEqual([]);
  });

  it('lists every record whose number cannot be matched, with the field and the reason', async () => {
    const list = await json(await gw.api(`/v1/connections/${connections.hubspot}/unmatched`));
    const malformed = hubspotRecords.filter((r) => r.person.format === 'malformed');
    expect(malformed.length).toBeGreaterThan(0);
    for (const r of malformed)
      expect(list.records).toContainEqual(
        expect.objectContaining({ remote_id: r.id, field: r.person.property, reason: 'invalid_phone' }),
      );
    // Where the problem is and why, never the value.
    for (const record of list.records)
      expect(Object.keys(record).sort()).toEqual([
        'field',
        'first_seen_at',
        'last_seen_at',
        'reason',
        'record_type',
        'remote_id',
      ]);
  });

  it('ends no delivery not_found_at_vendor for a person who has a matching record there', async () => {
    const personOf = async (e164: string) =>
      (await json(await gw.api(`/v1/consents?phone=${encodeURIComponent(e164)}`))).subject_id as string;
    const reachable = {
      hubspot: hubspotReachable().map((r) => r.person.e164!),
      salesforce: salesforceReachable().map((r) => r.expectedE164!),
    };
    for (const [vendor, id] of Object.entries(connections)) {
      const holders = new Set<string>();
      for (const e164 of new Set(reachable[vendor as keyof typeof reachable]))
        holders.add(await personOf(e164));
      const notFound = await db.query<{ subject_id: string }>(
        `SELECT subject_id FROM delivery WHERE connection_id = $1 AND reason = 'not_found_at_vendor'`,
        [id],
      );
      // People only the other CRM holds are not found here, as they should not be.
      expect(notFound.length).toBeGreaterThan(0);
      expect({ vendor, wronglyNotFound: notFound.filter((d) => holders.has(d.subject_id)).length }).toEqual({
        vendor,
        wronglyNotFound: 0,
      });
    }
  });
});
