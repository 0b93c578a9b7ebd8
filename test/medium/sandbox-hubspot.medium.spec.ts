import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Signature } from '@hubspot/api-client';
import { PublicUpdateSubscriptionStatusRequestLegalBasisEnum } from '@hubspot/api-client/lib/codegen/communication_preferences';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts';
import {
  PropertyCreateFieldTypeEnum,
  PropertyCreateTypeEnum,
} from '@hubspot/api-client/lib/codegen/crm/properties';
import { HubSpotSimulator } from '../../sandbox/hubspot';

/**
 * The HubSpot simulator, driven only through the real `@hubspot/api-client` 13.5.0 (plus `apiRequest`
 * where the SDK has no method, and plain fetch for the browser-side OAuth redirect and the admin API).
 * No database needed.
 */

// Every Client gets the same retry config: the SDK's decorators are a process-wide singleton.
const sdk = (basePath: string, accessToken?: string) =>
  new Client({ accessToken, basePath, numberOfApiCallRetries: 1 });

interface HubSpotErrorBody {
  status?: string;
  message?: string;
  category?: string;
  correlationId?: string;
  errorType?: string;
  policyName?: string;
  groupName?: string;
}

interface SdkError {
  code: number;
  body: HubSpotErrorBody;
  headers: Record<string, string>;
}

async function rejection(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the SDK call to reject');
}

const header = (headers: Record<string, string>, name: string) =>
  Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

describe('HubSpot simulator (via @hubspot/api-client)', () => {
  const sim = new HubSpotSimulator({ rateLimit: { max: 10_000, windowMs: 10_000 } });
  let baseUrl: string;
  let token: string;
  let client: Client;
  let firstId: number;

  beforeAll(async () => {
    baseUrl = await sim.start();
    ({ accessToken: token } = sim.createPortal({ portalId: 2_000_001 }));
    client = sdk(baseUrl, token);
    const seeded = await fetch(`${baseUrl}/__admin/contacts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ portalId: 2_000_001, count: 500 }),
    }).then((r) => r.json() as Promise<{ created: number; firstId: string }>);
    expect(seeded.created).toBe(500);
    firstId = Number(seeded.firstId);
  });

  afterAll(() => sim.stop());

  it('finds a seeded contact by phone across phone / mobilephone / WhatsApp filter groups', async () => {
    sim.advanceClock(1_000); // fresh search window (5 searches per second)
    const phone = HubSpotSimulator.seededPhone(firstId + 42);
    const res = await client.crm.contacts.searchApi.doSearch({
      filterGroups: ['phone', 'mobilephone', 'hs_whatsapp_phone_number'].map((propertyName) => ({
        filters: [{ propertyName, operator: FilterOperatorEnum.Eq, value: phone }],
      })),
      properties: ['email', 'phone', 'mobilephone', 'hs_whatsapp_phone_number'],
      limit: 100,
      after: '0',
      sorts: [],
    });
    expect(res.total).toBe(1);
    expect(res.results[0].id).toBe(String(firstId + 42));
    expect(res.results[0].properties.phone).toBe(phone);
    expect(res.results[0].properties.mobilephone).toBeNull();
    expect(res.results[0].createdAt).toBeInstanceOf(Date);

    const byEmail = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            {
              propertyName: 'email',
              operator: FilterOperatorEnum.Eq,
              value: `CONTACT${firstId}@example.com`,
            },
          ],
        },
      ],
      properties: ['email'],
      limit: 10,
      after: '0',
      sorts: [],
    });
    expect(byEmail.results.map((r) => r.id)).toEqual([String(firstId)]);
  });

  it('pages search with `after` and caps the page size at 200', async () => {
    sim.advanceClock(1_000);
    const request = (after: string, limit: number) =>
      client.crm.contacts.searchApi.doSearch({
        filterGroups: [{ filters: [{ propertyName: 'email', operator: FilterOperatorEnum.HasProperty }] }],
        properties: ['email'],
        limit,
        after,
        sorts: [],
      });
    const page1 = await request('0', 200);
    expect(page1.total).toBe(500);
    expect(page1.results).toHaveLength(200);
    expect(page1.paging?.next?.after).toBe('200');
    const page3 = await request('400', 200);
    expect(page3.results).toHaveLength(100);
    expect(page3.paging).toBeUndefined();
    const tooBig = await rejection(request('0', 201));
    expect(tooBig.code).toBe(400);
    expect(tooBig.body.category).toBe('VALIDATION_ERROR');
  });

  it('enforces the 5 searches per second limit with the "secondly" 429', async () => {
    sim.advanceClock(1_000);
    const search = () =>
      client.crm.contacts.searchApi.doSearch({
        filterGroups: [],
        properties: [],
        limit: 1,
        after: '0',
        sorts: [],
      });
    for (let i = 0; i < 5; i++) await search();
    const err = await rejection(search());
    expect(err.code).toBe(429);
    expect(err.body).toMatchObject({
      message: 'You have reached your secondly limit.',
      errorType: 'RATE_LIMIT',
    });
    sim.advanceClock(1_000);
  });

  it('lists contacts for backfill with `after` paging and limit ≤ 100', async () => {
    const page = await client.crm.contacts.basicApi.getPage(100, undefined, ['phone']);
    expect(page.results).toHaveLength(100);
    expect(page.results[0].properties.phone).toBe(HubSpotSimulator.seededPhone(firstId));
    const next = await client.crm.contacts.basicApi.getPage(100, page.paging!.next!.after, ['phone']);
    expect(next.results[0].id).toBe(String(firstId + 100));
    expect((await rejection(client.crm.contacts.basicApi.getPage(101))).code).toBe(400);
  });

  it('batch-updates 100 contacts and rejects 101 with a 400', async () => {
    const inputs = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        id: String(firstId + i),
        properties: { firstname: `Batch ${i}` },
      }));
    const ok = await client.crm.contacts.batchApi.update({ inputs: inputs(100) });
    expect(ok.status).toBe('COMPLETE');
    expect(ok.results).toHaveLength(100);
    expect('numErrors' in ok ? ok.numErrors : 0).toBe(0);
    const read = await client.crm.contacts.batchApi.read({
      inputs: [{ id: String(firstId + 7) }],
      properties: ['firstname'],
      propertiesWithHistory: [],
    });
    expect(read.results[0].properties.firstname).toBe('Batch 7');

    const err = await rejection(client.crm.contacts.batchApi.update({ inputs: inputs(101) }));
    expect(err.code).toBe(400);
    expect(err.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(err.body.correlationId).toEqual(expect.any(String));
  });

  it('batch-creates (201) and upserts by email (new / existing), refusing a duplicate email with 409', async () => {
    const created = await client.crm.contacts.batchApi.create({
      inputs: [
        { properties: { email: 'new.person@example.com', phone: '+4917600000001' }, associations: [] },
      ],
    });
    expect(created.results[0].properties.email).toBe('new.person@example.com');
    const upsert = await client.crm.contacts.batchApi.upsert({
      inputs: [
        { id: 'new.person@example.com', idProperty: 'email', properties: { firstname: 'Known' } },
        { id: 'other.person@example.com', idProperty: 'email', properties: { firstname: 'Fresh' } },
      ],
    });
    expect(upsert.results.map((r) => [r.properties.email ?? null, r._new])).toEqual([
      [null, false],
      ['other.person@example.com', true],
    ]);
    const dup = await rejection(
      client.crm.contacts.basicApi.create({
        properties: { email: 'new.person@example.com' },
        associations: [],
      }),
    );
    expect(dup.code).toBe(409);
    expect(dup.body.category).toBe('CONFLICT');
  });

  it('answers a partial batch failure with 207 and numErrors (no throw)', async () => {
    const res = await client.crm.contacts.batchApi.update({
      inputs: [
        { id: String(firstId), properties: { lastname: 'Partial' } },
        { id: '99999999', properties: { lastname: 'Ghost' } },
      ],
    });
    expect(res.results).toHaveLength(1);
    expect('numErrors' in res && res.numErrors).toBe(1);
    expect('errors' in res && res.errors?.[0]).toMatchObject({
      category: 'OBJECT_NOT_FOUND',
      context: { ids: ['99999999'] },
    });
  });

  it('creates a custom property, then answers 409; unknown properties are 404 and invalid writes 400', async () => {
    const props = client.crm.properties.coreApi;
    expect((await rejection(props.getByName('contacts', 'wa_marketing_consent'))).code).toBe(404);
    const created = await props.create('contacts', {
      name: 'wa_marketing_consent',
      label: 'WhatsApp marketing consent',
      type: PropertyCreateTypeEnum.Enumeration,
      fieldType: PropertyCreateFieldTypeEnum.Select,
      groupName: 'contactinformation',
      options: ['OPTED_IN', 'OPTED_OUT', 'UNKNOWN'].map((value, i) => ({
        label: value,
        value,
        displayOrder: i,
        hidden: false,
      })),
    });
    expect(created.name).toBe('wa_marketing_consent');
    expect((await props.getByName('contacts', 'wa_marketing_consent')).options).toHaveLength(3);
    const dup = await rejection(
      props.create('contacts', {
        name: 'wa_marketing_consent',
        label: 'again',
        type: PropertyCreateTypeEnum.String,
        fieldType: PropertyCreateFieldTypeEnum.Text,
        groupName: 'contactinformation',
      }),
    );
    expect(dup.code).toBe(409);

    const id = String(firstId + 1);
    const updated = await client.crm.contacts.basicApi.update(id, {
      properties: { wa_marketing_consent: 'OPTED_OUT' },
    });
    expect(updated.properties.wa_marketing_consent).toBe('OPTED_OUT');
    const bad = await rejection(
      client.crm.contacts.basicApi.update(id, { properties: { wa_marketing_consent: 'MAYBE' } }),
    );
    expect(bad.code).toBe(400);
    expect(bad.body.message).toContain('INVALID_OPTION');
    const missing = await rejection(
      client.crm.contacts.basicApi.update(id, { properties: { no_such_prop: 'x' } }),
    );
    expect(missing.body.message).toContain('PROPERTY_DOESNT_EXIST');
    const events = sim.takeWebhookEvents(2_000_001);
    expect(events).toContainEqual(
      expect.objectContaining({
        subscriptionType: 'contact.propertyChange',
        objectId: Number(id),
        propertyName: 'wa_marketing_consent',
        propertyValue: 'OPTED_OUT',
      }),
    );
  });

  it('GDPR-deletes by id and by email (204), the contact is gone and its email blocked', async () => {
    const id = String(firstId + 10);
    await expect(client.crm.contacts.basicApi.purge({ objectId: id })).resolves.toBeUndefined();
    expect((await rejection(client.crm.contacts.basicApi.getById(id))).code).toBe(404);

    const email = `contact${firstId + 11}@example.com`;
    const res = await client.apiRequest({
      method: 'POST',
      path: '/crm/v3/objects/contacts/gdpr-delete',
      body: { objectId: email, idProperty: 'email' },
    });
    expect(res.status).toBe(204);
    expect(
      (
        await rejection(
          client.crm.contacts.basicApi.getById(email, undefined, undefined, undefined, false, 'email'),
        )
      ).code,
    ).toBe(404);
    const recreate = await rejection(
      client.crm.contacts.basicApi.create({ properties: { email }, associations: [] }),
    );
    expect(recreate.code).toBe(400);

    const events = sim.takeWebhookEvents(2_000_001).map((e) => `${e.subscriptionType}:${e.objectId}`);
    expect(events).toEqual(
      expect.arrayContaining([
        `contact.privacyDeletion:${id}`,
        `contact.deletion:${id}`,
        `contact.privacyDeletion:${firstId + 11}`,
      ]),
    );
  });

  it('v3: unsubscribe changes the email status, resubscribe is refused, hs_email_optout_<id> follows', async () => {
    const prefs = client.communicationPreferences;
    const email = `contact${firstId + 20}@example.com`;
    const defs = await prefs.definitionApi.getPage();
    const marketing = defs.subscriptionDefinitions.find((d) => d.name === 'Marketing Information')!;
    expect(marketing.createdAt).toBeInstanceOf(Date);

    await prefs.statusApi.subscribe({
      emailAddress: email,
      subscriptionId: marketing.id,
      legalBasis: PublicUpdateSubscriptionStatusRequestLegalBasisEnum.ConsentWithNotice,
      legalBasisExplanation: 'test',
    });
    let status = await prefs.statusApi.getEmailStatus(email);
    expect(status.subscriptionStatuses.find((s) => s.id === marketing.id)?.status).toBe('SUBSCRIBED');

    const unsub = await prefs.statusApi.unsubscribe({ emailAddress: email, subscriptionId: marketing.id });
    expect(unsub.status).toBe('NOT_SUBSCRIBED');
    status = await prefs.statusApi.getEmailStatus(email);
    expect(status.recipient).toBe(email);
    expect(status.subscriptionStatuses.find((s) => s.id === marketing.id)?.status).toBe('NOT_SUBSCRIBED');

    expect(
      (await rejection(prefs.statusApi.subscribe({ emailAddress: email, subscriptionId: marketing.id })))
        .code,
    ).toBe(400);
    const contact = await client.crm.contacts.basicApi.getById(String(firstId + 20), [
      `hs_email_optout_${marketing.id}`,
    ]);
    expect(contact.properties[`hs_email_optout_${marketing.id}`]).toBe('true');
  });

  it('v4 (apiRequest): reads and writes EMAIL statuses, resubscribes, rejects other channels', async () => {
    const email = `contact${firstId + 21}@example.com`;
    const path = `/communication-preferences/v4/statuses/${encodeURIComponent(email)}`;
    let res = await client.apiRequest({ method: 'GET', path, qs: { channel: 'EMAIL' } });
    expect(res.ok).toBe(true);
    expect(res.headers.get('content-type')).toContain('application/json');
    const initial = await res.json();
    expect(initial.results[0]).toMatchObject({
      subscriberIdString: email,
      channel: 'EMAIL',
      status: 'NOT_SPECIFIED',
    });

    res = await client.apiRequest({
      method: 'POST',
      path: `${path}/unsubscribe-all`,
      qs: { channel: 'EMAIL', verbose: 'true' },
    });
    expect((await res.json()).results[0].status).toBe('UNSUBSCRIBED');
    res = await client.apiRequest({
      method: 'POST',
      path,
      body: {
        channel: 'EMAIL',
        statusState: 'SUBSCRIBED',
        subscriptionId: 1001,
        legalBasis: 'CONSENT_WITH_NOTICE',
        legalBasisExplanation: 'Double opt-in',
      },
    });
    const written = await res.json();
    expect(written.results[0]).toMatchObject({
      status: 'SUBSCRIBED',
      subscriptionId: 1001,
      setStatusSuccessReason: 'RESUBSCRIBE_OCCURRED',
    });

    res = await client.apiRequest({ method: 'GET', path, qs: { channel: 'WHATSAPP' } });
    expect(res.status).toBe(400);
    expect((await res.json()).category).toBe('VALIDATION_ERROR');
  });

  it('injects 500 and timeout faults on matching paths and adds latency', async () => {
    await fetch(`${baseUrl}/__admin/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: '500', count: 1, path: '/batch/read' }),
    });
    const read = () =>
      client.crm.contacts.batchApi.read({
        inputs: [{ id: String(firstId) }],
        properties: [],
        propertiesWithHistory: [],
      });
    expect((await rejection(read())).code).toBe(500);
    await expect(read()).resolves.toMatchObject({ status: 'COMPLETE' });

    sim.injectFault({ kind: 'timeout', path: '/crm/v3/objects/contacts/' + firstId });
    const hung = fetch(`${baseUrl}/crm/v3/objects/contacts/${firstId}`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(300),
    });
    await expect(hung).rejects.toThrow();

    // With latency added, a client whose deadline is shorter gives up; the same call without it answers.
    sim.setLatency(2_000);
    const slow = fetch(`${baseUrl}/crm/v3/objects/contacts/${firstId}`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(300),
    });
    await expect(slow).rejects.toThrow();
    sim.setLatency(0);
    await expect(client.crm.contacts.basicApi.getById(String(firstId))).resolves.toMatchObject({
      id: String(firstId),
    });
    expect(sim.state.callLog.faultsInjected).toBe(2);
  });

  // How fast seeding is belongs to `npm run bench`; here, that all of them are there and searchable.
  it('seeds 100,000 contacts and still finds one by phone', async () => {
    const { portalId, accessToken } = sim.createPortal();
    const seeded = sim.seedContacts({ portalId, count: 100_000, whatsapp: true });
    expect(seeded.created).toBe(100_000);
    expect(sim.portal(portalId).contacts.size).toBe(100_000);
    const phone = HubSpotSimulator.seededPhone(Number(seeded.lastId) - 5);
    const res = await sdk(baseUrl, accessToken).crm.contacts.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            { propertyName: 'hs_whatsapp_phone_number', operator: FilterOperatorEnum.Eq, value: phone },
          ],
        },
      ],
      properties: ['hs_whatsapp_phone_number'],
      limit: 10,
      after: '0',
      sorts: [],
    });
    expect(res.results.map((r) => r.id)).toEqual([String(Number(seeded.lastId) - 5)]);
  });
});

describe('HubSpot simulator: rate limits', () => {
  const sim = new HubSpotSimulator({ rateLimit: { max: 5, windowMs: 1_000 } });
  let baseUrl: string;
  afterAll(() => sim.stop());

  it('answers the 6th request in the window with HubSpot’s TEN_SECONDLY_ROLLING 429 body and headers', async () => {
    baseUrl = await sim.start();
    const { accessToken } = sim.createPortal();
    const client = sdk(baseUrl, accessToken);
    for (let i = 0; i < 5; i++) {
      const res = await client.apiRequest({
        method: 'GET',
        path: '/crm/v3/objects/contacts',
        qs: { limit: '1' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-hubspot-ratelimit-max')).toBe('5');
      expect(res.headers.get('x-hubspot-ratelimit-remaining')).toBe(String(4 - i));
      expect(res.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('1000');
    }
    const err = await rejection(client.crm.contacts.basicApi.getPage(1));
    expect(err.code).toBe(429);
    expect(err.body).toMatchObject({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
    });
    expect(err.body.correlationId).toEqual(expect.any(String));
    expect(err.body.groupName).toContain('ten-secondly');
    expect(header(err.headers, 'x-hubspot-ratelimit-remaining')).toBe('0');
    expect(header(err.headers, 'x-hubspot-ratelimit-max')).toBe('5');

    sim.advanceClock(1_001);
    await expect(client.crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();

    const state = await fetch(`${baseUrl}/__admin/state`).then(
      (r) => r.json() as Promise<{ callLog: { rateLimited: number; byStatus: Record<string, number> } }>,
    );
    expect(state.callLog.rateLimited).toBe(1);
    expect(state.callLog.byStatus['429']).toBe(1);
  });

  it('isolates portals: another portal still has its full budget', async () => {
    const { accessToken } = sim.createPortal();
    await expect(sdk(baseUrl, accessToken).crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();
  });
});

describe('HubSpot simulator: OAuth', () => {
  const sim = new HubSpotSimulator({ clientId: 'cid', clientSecret: 'csecret' });
  const redirectUri = 'http://localhost:3000/oauth/hubspot/callback';
  let baseUrl: string;
  afterAll(() => sim.stop());

  async function authorize() {
    const url = new URL(`${baseUrl}/oauth/authorize`);
    url.search = new URLSearchParams({
      client_id: 'cid',
      redirect_uri: redirectUri,
      scope: 'oauth crm.objects.contacts.read',
      state: 'xyz',
    }).toString();
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz');
    return location.searchParams.get('code')!;
  }

  it('exchanges a code, expires the token after 30 min with HubSpot’s 401, and refreshes', async () => {
    baseUrl = await sim.start();
    const oauth = sdk(baseUrl).oauth;
    const tokens = await oauth.tokensApi.create(
      'authorization_code',
      await authorize(),
      redirectUri,
      'cid',
      'csecret',
    );
    expect(tokens).toMatchObject({ expiresIn: 1800, tokenType: 'bearer' });
    expect(tokens.refreshToken).toEqual(expect.any(String));

    const info = await oauth.accessTokensApi.get(tokens.accessToken);
    expect(info.hubId).toBe(sim.portal().portalId);
    expect(info.scopes).toEqual(['oauth', 'crm.objects.contacts.read']);

    const client = sdk(baseUrl, tokens.accessToken);
    await expect(client.crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();

    sim.advanceClock(31 * 60_000);
    const expired = await rejection(client.crm.contacts.basicApi.getPage(1));
    expect(expired.code).toBe(401);
    expect(expired.body).toMatchObject({
      status: 'error',
      category: 'EXPIRED_AUTHENTICATION',
      message: 'The OAuth token used to make this call expired 1 minute(s) ago.',
    });

    const refreshed = await oauth.tokensApi.create(
      'refresh_token',
      undefined,
      undefined,
      'cid',
      'csecret',
      tokens.refreshToken,
    );
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).toBe(tokens.refreshToken);
    await expect(sdk(baseUrl, refreshed.accessToken).crm.contacts.basicApi.getPage(1)).resolves.toBeDefined();
  });

  it('rejects unknown tokens, bad secrets, a used code and injected refresh failures', async () => {
    const invalid = await rejection(sdk(baseUrl, 'not-a-token').crm.contacts.basicApi.getPage(1));
    expect(invalid.code).toBe(401);
    expect(invalid.body.category).toBe('INVALID_AUTHENTICATION');

    const oauth = sdk(baseUrl).oauth;
    const code = await authorize();
    expect(
      (await rejection(oauth.tokensApi.create('authorization_code', code, redirectUri, 'cid', 'wrong'))).code,
    ).toBe(400);
    const tokens = await oauth.tokensApi.create('authorization_code', code, redirectUri, 'cid', 'csecret');
    const reused = await rejection(
      oauth.tokensApi.create('authorization_code', code, redirectUri, 'cid', 'csecret'),
    );
    expect(reused.body.status).toBe('BAD_AUTH_CODE');

    sim.injectFault({ kind: 'refresh_fails' });
    const failed = await rejection(
      oauth.tokensApi.create('refresh_token', undefined, undefined, 'cid', 'csecret', tokens.refreshToken),
    );
    expect(failed.code).toBe(400);
    expect(failed.body.status).toBe('BAD_REFRESH_TOKEN');
    await expect(
      oauth.tokensApi.create('refresh_token', undefined, undefined, 'cid', 'csecret', tokens.refreshToken),
    ).resolves.toBeDefined();

    sim.injectFault({ kind: 'expire_tokens' });
    const client = sdk(baseUrl, tokens.accessToken);
    expect((await rejection(client.crm.contacts.basicApi.getPage(1))).body.category).toBe(
      'EXPIRED_AUTHENTICATION',
    );
    expect((await rejection(client.crm.contacts.basicApi.getPage(1))).code).toBe(401);
  });
});

describe('HubSpot simulator: webhook sender', () => {
  let receiver: Server;
  let url: string;
  const received: Array<{ headers: IncomingHttpHeaders; body: string; url: string }> = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url! });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/hubspot?tenant=acme`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('posts a JSON array of events with a v3 signature an independent implementation accepts', async () => {
    const sim = new HubSpotSimulator();
    const secret = 'app-secret-ä';
    const deliveries = await sim.sendWebhooks(url, secret, [
      {
        subscriptionType: 'contact.propertyChange',
        objectId: 101,
        propertyName: 'wa_marketing_consent',
        propertyValue: 'OPTED_OUT',
      },
      { subscriptionType: 'contact.privacyDeletion', objectId: 102 },
    ]);
    expect(deliveries.map((d) => d.status)).toEqual([204]);
    const { headers, body } = received[0];
    const timestamp = headers['x-hubspot-request-timestamp'] as string;
    expect(Math.abs(Date.now() - Number(timestamp))).toBeLessThan(60_000);

    // Independent v3: base64(HMAC-SHA256(secret, method + uri + body + timestamp)), constant-time compare.
    const expected = createHmac('sha256', secret).update(`POST${url}${body}${timestamp}`).digest();
    const given = Buffer.from(headers['x-hubspot-signature-v3'] as string, 'base64');
    expect(given.length).toBe(expected.length);
    expect(timingSafeEqual(given, expected)).toBe(true);
    // …and the SDK's own validator agrees.
    expect(
      Signature.isValid({
        signatureVersion: 'v3',
        signature: headers['x-hubspot-signature-v3'] as string,
        clientSecret: secret,
        requestBody: body,
        url,
        method: 'POST',
        timestamp: Number(timestamp),
      }),
    ).toBe(true);

    const events = JSON.parse(body);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      subscriptionType: 'contact.propertyChange',
      objectId: 101,
      propertyName: 'wa_marketing_consent',
      propertyValue: 'OPTED_OUT',
      attemptNumber: 0,
      changeSource: expect.any(String),
    });
    for (const e of events) {
      expect(e).toEqual(
        expect.objectContaining({
          eventId: expect.any(Number),
          subscriptionId: expect.any(Number),
          portalId: expect.any(Number),
          appId: expect.any(Number),
          occurredAt: expect.any(Number),
        }),
      );
    }
    expect(events[1].subscriptionType).toBe('contact.privacyDeletion');
  });
});
