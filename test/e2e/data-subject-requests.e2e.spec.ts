import { HubSpotSimulator } from '../../sandbox/hubspot';
import { SalesforceSimulator } from '../../sandbox/salesforce';
import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { connectByOAuth, SANDBOX_CLIENT, sandboxEnv, signDpas } from '../support/sandbox';
import { textWebhook } from '../support/whatsapp';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { findPlaintext } from '../support/plaintext-scan';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';

const CLIENT = SANDBOX_CLIENT;
let wamids = 0;

interface Person {
  e164: string;
  email: string;
  first: string;
}

/** A person held by every processor: a HubSpot contact, a Salesforce Contact, and the webhook processor's copy. */
const person = (n: number, first: string): Person => ({
  e164: `+49160${String(1000000 + n)}`,
  email: `${first.toLowerCase()}.${n}@example.com`,
  first,
});

/**
 * Issue 9's acceptance, end to end against the simulators: a person's requests reach HubSpot, Salesforce and a
 * webhook processor through the real SDKs, with proof per processor, and an erased person leaves nothing behind.
 */
describe('data-subject requests reach every processor, within their deadlines, with proof', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const hubspot = new HubSpotSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  const salesforce = new SalesforceSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', {
    confirmations: 'auto',
  });
  let hubspotId: string;

  const hubspotContactOf = (p: Person) =>
    [...hubspot.portal().contacts.values()].find((c) => c.properties.email === p.email);
  const salesforceContactOf = (p: Person) =>
    [...salesforce.state.records.Contact.values()].find((c) => c.Email === p.email);
  const check = async (phone: string) =>
    json(await gw.api(`/v1/consents/check?${new URLSearchParams({ phone }).toString()}`));
  const request = async (body: Record<string, unknown>) => {
    const res = await gw.api('/v1/requests', { method: 'POST', json: body });
    expect(res.status).toBe(201);
    return json(res);
  };
  const requestView = async (id: string) => json(await gw.api(`/v1/requests/${id}`));
  const completed = (id: string) =>
    eventually(async () => {
      const view = await requestView(id);
      return view.status === 'completed' ? view : null;
    }, 60_000);
  const verified = { method: 'id_document', note: 'passport checked by the DPO' };

  /** The person writes to the business on WhatsApp, and is held by every processor. */
  const heldEverywhere = async (p: Person) => {
    hubspot.seedContacts({ contacts: [{ firstname: p.first, email: p.email, phone: p.e164 }] });
    salesforce.seed({
      contacts: [{ FirstName: p.first, LastName: 'Example', Email: p.email, MobilePhone: p.e164 }],
    });
    const granted = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: `form-${p.email}`,
        phone: p.e164,
        email: p.email,
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        captured_at: new Date(Date.now() - 60_000).toISOString(),
      },
    });
    expect(granted.status).toBe(200);
    await eventually(async () => hubspotContactOf(p)?.properties.wa_marketing_consent === 'OPTED_IN', 30_000);
    await eventually(
      async () =>
        processor.received.some((r) => r.type === 'consent.changed' && r.rawBody.includes(p.e164.slice(1))),
      30_000,
    );
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const [hubspotUrl, salesforceUrl, processorUrl] = await Promise.all([
      hubspot.start(),
      salesforce.start(),
      processor.start(),
    ]);
    const port = await freePort();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(
        db.url,
        sandboxEnv(port, { CRM_POLL_INTERVAL_SECONDS: '1', RETRY_BASE_DELAY_MS: '50' }),
      ),
    });
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
    hubspotId = (await json(hs)).id as string;
    const sf = await connectByOAuth(gw.api, 'salesforce', salesforceUrl, 'Salesforce');
    const wh = await gw.api('/v1/connections', {
      method: 'POST',
      json: { type: 'webhook', name: 'Mailer', credentials: { url: `${processorUrl}/hooks` } },
    });
    expect(wh.status).toBe(201);
    const webhook = await json(wh);
    processor.useSecret(webhook.signing_secret as string);
    await signDpas(gw, [hubspotId, sf, webhook.id as string]);
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await Promise.all([hubspot.stop(), salesforce.stop(), processor.stop()]);
    await db?.drop();
  });

  it('erases a person at HubSpot, Salesforce and the processor, then forgets them: nothing of them is left in any table', async () => {
    const p = person(1, 'Erika');
    await heldEverywhere(p);
    const hubspotContact = hubspotContactOf(p)!.id;
    // The person also wrote on WhatsApp: a raw inbox body that holds their number.
    expect(
      (
        await gw.postWebhook(
          textWebhook({ wamid: `wamid.DSR${++wamids}`, from: p.e164.slice(1), body: 'hello' }),
        )
      ).status,
    ).toBe(200);

    const created = await request({ type: 'erasure', phone: p.e164, verification: verified });
    expect(created).toMatchObject({
      type: 'erasure',
      status: expect.stringMatching(/in_progress|waiting_on_processors/),
    });
    const done = await completed(created.id as string);

    expect(hubspot.portal().gdprDeletedIds.has(hubspotContact)).toBe(true);
    expect(salesforceContactOf(p)).toBeUndefined();
    const erasureEvents = processor.received.filter((r) => r.type === 'subject.erasure_requested');
    expect(erasureEvents).toHaveLength(1);
    const byType = Object.fromEntries(
      (
        done.processors as { connection_name: string; status: string; evidence: Record<string, unknown> }[]
      ).map((row) => [row.connection_name, row]),
    );
    expect(byType.HubSpot).toMatchObject({ status: 'succeeded' });
    expect(byType.Salesforce).toMatchObject({ status: 'succeeded' });
    expect(byType.Mailer).toMatchObject({ status: 'succeeded' });
    expect(byType.Mailer.evidence).toHaveProperty('confirmed_at');

    expect(await check(p.e164)).toMatchObject({ allowed: false, reason: 'erased' });
    // The API client used the email in its event id: the skeleton keeps only its blind index.
    expect(await findPlaintext(db, [p.e164, p.e164.slice(1), p.email])).toEqual([]);
    const subjectId = done.subject_id as string;
    const links = await db.query(`SELECT 1 FROM connection_record WHERE subject_id = $1`, [subjectId]);
    expect(links).toEqual([]);
    const identities = await db.query(`SELECT 1 FROM subject_identity WHERE subject_id = $1`, [subjectId]);
    expect(identities).toEqual([]);
    const keys = await db.query(`SELECT 1 FROM subject_key WHERE subject_id = $1`, [subjectId]);
    expect(keys).toEqual([]);
  });

  it('does not import the same person again when their contact is re-created in HubSpot, and erases the new record within a polling period', async () => {
    const p = person(2, 'Rolf');
    await heldEverywhere(p);
    const created = await request({ type: 'erasure', phone: p.e164, verification: verified });
    await completed(created.id as string);

    // Someone re-enters the person from an old spreadsheet (HubSpot refuses the blocklisted email: phone only).
    const { firstId } = hubspot.seedContacts({ contacts: [{ firstname: p.first, phone: p.e164 }] });
    await eventually(async () => hubspot.portal().gdprDeletedIds.has(firstId!), 30_000);
    expect(await check(p.e164)).toMatchObject({ allowed: false, reason: 'erased' });
    expect((await gw.api(`/v1/consents?phone=${encodeURIComponent(p.e164)}`)).status).toBe(404);
  });

  it('erases a person deleted in HubSpot (contact.privacyDeletion) in Salesforce and at the processor', async () => {
    const p = person(3, 'Hanna');
    await heldEverywhere(p);
    const before = processor.received.filter((r) => r.type === 'subject.erasure_requested').length;
    const contactId = hubspotContactOf(p)!.id;
    hubspot.takeWebhookEvents();
    // A HubSpot user GDPR-deletes the contact in HubSpot's own UI; HubSpot notifies the app.
    const deleted = await fetch(`${hubspot.url}/crm/v3/objects/contacts/gdpr-delete`, {
      method: 'POST',
      headers: { authorization: 'Bearer pat-na1-sandbox', 'content-type': 'application/json' },
      body: JSON.stringify({ objectId: contactId }),
    });
    expect(deleted.status).toBe(204);
    const events = hubspot.takeWebhookEvents();
    expect(events.some((e) => e.subscriptionType === 'contact.privacyDeletion')).toBe(true);
    const sent = await hubspot.sendWebhooks(`${gw.baseUrl}/webhooks/hubspot`, CLIENT.secret, events);
    expect(sent.every((s) => s.status === 200)).toBe(true);

    await eventually(async () => salesforceContactOf(p) === undefined, 60_000);
    await eventually(
      async () =>
        processor.received.filter((r) => r.type === 'subject.erasure_requested').length === before + 1,
      30_000,
    );
    const requests = await json(await gw.api('/v1/requests?type=erasure'));
    const fromHubSpot = (requests.items as { origin: string; id: string }[]).find(
      (r) => r.origin === 'hubspot_privacy_deletion',
    );
    expect(fromHubSpot).toBeDefined();
    await completed(fromHubSpot!.id);
    expect(await check(p.e164)).toMatchObject({ allowed: false, reason: 'erased' });
  });

  it('exports every event, processor and delivery of the person, with the data both CRMs hold on them', async () => {
    const p = person(4, 'Aksel');
    await heldEverywhere(p);
    const created = await request({ type: 'access', email: p.email, verification: verified });
    await completed(created.id as string);

    const exported = await json(await gw.api(`/v1/requests/${created.id}/export?format=json`));
    const text = JSON.stringify(exported);
    expect(text).toContain(p.email);
    expect(text).toContain(p.e164);
    expect(text).toContain(p.first); // the first name only the CRMs hold
    expect(JSON.stringify(exported.events ?? exported.person?.events)).toContain('granted');
    expect(text).toContain('HubSpot');
    expect(text).toContain('Salesforce');
    expect(text).toContain('Mailer');

    const html = await gw.api(`/v1/requests/${created.id}/export?format=html`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain(p.first);
  });

  it('writes a corrected phone number to both CRMs and tells the processor', async () => {
    const p = person(5, 'Ruth');
    await heldEverywhere(p);
    const corrected = '+4916099887766';
    const created = await request({
      type: 'rectification',
      email: p.email,
      changes: { phone: corrected },
      verification: verified,
    });
    await completed(created.id as string);

    const contact = hubspotContactOf(p)!;
    expect([contact.properties.phone, contact.properties.mobilephone]).toContain(corrected);
    const sfContact = salesforceContactOf(p)!;
    expect(String(sfContact.MobilePhone).replace(/\D/g, '')).toBe(corrected.slice(1));
    expect(
      processor.received.some((r) => r.type === 'subject.rectified' && r.rawBody.includes(corrected)),
    ).toBe(true);
    expect(await check(corrected)).toMatchObject({ allowed: true });
  });

  it('restricts processing at both CRMs and the processor, the check honours it, and lifting it is propagated', async () => {
    const p = person(6, 'Tomas');
    await heldEverywhere(p);
    const restricted = await request({ type: 'restriction', phone: p.e164, verification: verified });
    await completed(restricted.id as string);
    expect(await check(p.e164)).toMatchObject({ allowed: false, reason: 'restricted' });
    expect(hubspotContactOf(p)!.properties.consent_gateway_processing_restricted).toBe('true');
    const individualOf = () =>
      salesforce.state.records.Individual.get(String(salesforceContactOf(p)!.IndividualId));
    expect(individualOf()?.HasOptedOutProcessing).toBe(true);
    expect(processor.received.some((r) => r.type === 'subject.restricted')).toBe(true);

    const lifted = await request({ type: 'restriction', phone: p.e164, lift: true, verification: verified });
    await completed(lifted.id as string);
    expect(await check(p.e164)).toMatchObject({ allowed: true });
    expect(hubspotContactOf(p)!.properties.consent_gateway_processing_restricted).toBe('false');
    // The consent the restriction covered up is shown again.
    expect(hubspotContactOf(p)!.properties.wa_marketing_consent).toBe('OPTED_IN');
    expect(individualOf()?.HasOptedOutProcessing).toBe(false);
    expect(processor.received.some((r) => r.type === 'subject.restriction_lifted')).toBe(true);
  });

  it('counts one calendar month from receipt, extends only within the first month, and flags overdue requests', async () => {
    const p = person(7, 'Dora');
    await heldEverywhere(p);
    const receivedAt = new Date(Date.now() - 10 * 86_400_000);
    const recent = await request({ type: 'access', phone: p.e164, received_at: receivedAt.toISOString() });
    expect(recent.status).toBe('identity_verification');
    const due = new Date(receivedAt);
    due.setUTCMonth(due.getUTCMonth() + 1);
    expect(new Date(recent.due_at as string).toISOString().slice(0, 10)).toBe(due.toISOString().slice(0, 10));

    const extended = await gw.api(`/v1/requests/${recent.id}/extend`, {
      method: 'POST',
      json: {
        months: 2,
        reason: 'complex request across many systems',
        subject_notified_at: new Date().toISOString(),
      },
    });
    expect(extended.status).toBe(200);
    const extendedDue = new Date(receivedAt);
    extendedDue.setUTCMonth(extendedDue.getUTCMonth() + 3);
    expect(new Date((await json(extended)).due_at as string).toISOString().slice(0, 10)).toBe(
      extendedDue.toISOString().slice(0, 10),
    );

    const old = await request({
      type: 'access',
      phone: p.e164,
      received_at: new Date(Date.now() - 40 * 86_400_000).toISOString(),
    });
    const late = await gw.api(`/v1/requests/${old.id}/extend`, {
      method: 'POST',
      json: { months: 1, reason: 'too late', subject_notified_at: new Date().toISOString() },
    });
    expect(late.status).toBeGreaterThanOrEqual(400);
    expect(late.status).toBeLessThan(500);
    const overdue = await json(await gw.api('/v1/requests?overdue=true'));
    expect((overdue.items as { id: string; overdue: boolean }[]).map((r) => r.id)).toContain(old.id);
    expect((overdue.items as { id: string }[]).map((r) => r.id)).not.toContain(recent.id);
  });
});
