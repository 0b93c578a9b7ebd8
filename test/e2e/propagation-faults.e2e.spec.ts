import { HubSpotSimulator } from '../../sandbox/hubspot';
import { SalesforceSimulator } from '../../sandbox/salesforce';
import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { connectByOAuth, SANDBOX_CLIENT, sandboxEnv, signDpas } from '../support/sandbox';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';

const CLIENT = SANDBOX_CLIENT;

interface Delivery {
  id: string;
  connection_id: string;
  subject_id: string;
  status: string;
  attempts: number;
  reason: string | null;
  last_error_class: string | null;
}

/**
 * Vendors misbehave in every way the reference documents; each delivery must still end succeeded, or dead
 * with a clear reason, and none may stay pending for ever.
 */
describe('propagation under vendor faults', () => {
  let db: TestDatabase;
  let gw: TestApp;
  // Short windows keep the rate-limit waits of this test to about a second.
  const hubspot = new HubSpotSimulator({
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    rateLimit: { max: 1000, windowMs: 1000 },
    timeoutFaultMs: 3000,
  });
  const salesforce = new SalesforceSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  const ids: Record<string, string> = {};
  let sequence = 0;

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
      // A short backoff schedule: the retries this test provokes follow each other in tenths of a second.
      config: testConfig(
        db.url,
        sandboxEnv(port, { CONNECTOR_TIMEOUT_MS: '1000', RETRY_BASE_DELAY_MS: '100' }),
      ),
    });
    ids.hubspot = await connectByOAuth(gw.api, 'hubspot', hubspotUrl);
    ids.salesforce = await connectByOAuth(gw.api, 'salesforce', salesforceUrl);
    const wh = await json(
      await gw.api('/v1/connections', {
        method: 'POST',
        json: { type: 'webhook', name: 'processor', credentials: { url: `${processorUrl}/hooks` } },
      }),
    );
    processor.useSecret(wh.signing_secret);
    ids.webhook = wh.id;
    await signDpas(gw, Object.values(ids));
    // The CRMs' imports of existing records end before any fault is injected: a one-shot fault is meant for a push,
    // and a push that finds nobody while an import runs waits for it (waiting_for_backfill) instead of ending.
    for (const id of [ids.hubspot, ids.salesforce])
      await eventually(
        async () =>
          (await json(await gw.api(`/v1/connections/${id}/backfill`))).backfill?.status === 'completed',
      );
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([hubspot.stop(), salesforce.stop(), processor.stop()]);
    await db?.drop();
  });

  /** A person known to both CRMs, who withdraws through the API. */
  async function withdrawNewPerson(): Promise<string> {
    sequence++;
    const phone = `+1631555${String(1000 + sequence).padStart(4, '0')}`;
    hubspot.seedContacts({ contacts: [{ firstname: `P${sequence}`, phone }] });
    salesforce.seed({ contacts: [{ LastName: `P${sequence}`, MobilePhone: phone }] });
    const res = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: `fault-${sequence}`,
        phone,
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'withdrawn',
        captured_at: new Date().toISOString(),
      },
    });
    expect(res.status).toBe(200);
    return (await json(res)).subject_id;
  }

  const deliveries = async (subjectId: string): Promise<Delivery[]> =>
    (await json(await gw.api(`/v1/deliveries?subject_id=${subjectId}`))).deliveries;

  /** Waits until every delivery of the person has ended (succeeded, skipped or dead). */
  const settled = (subjectId: string, expected = 3) =>
    eventually(async () => {
      const all = await deliveries(subjectId);
      return all.length === expected && all.every((d) => ['succeeded', 'dead', 'skipped'].includes(d.status))
        ? all
        : null;
    }, 30_000).catch(async (error: Error) => {
      // Say where each delivery stands, so that a failure explains itself.
      throw new Error(`${error.message}: ${JSON.stringify(await deliveries(subjectId))}`);
    });

  const at = (all: Delivery[], type: string) => all.find((d) => d.connection_id === ids[type])!;

  it('waits out a storm of 429s without spending attempts, then succeeds', async () => {
    hubspot.injectFault({ kind: '429', count: 3 });
    const all = await settled(await withdrawNewPerson());
    expect(at(all, 'hubspot')).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('backs off after 500s and succeeds when the vendor recovers', async () => {
    hubspot.injectFault({ kind: '500', count: 2 });
    salesforce.injectFault({ kind: '500', count: 1, method: 'POST' });
    processor.injectFault({ kind: '500', count: 2 });
    const subjectId = await withdrawNewPerson();
    const all = await settled(subjectId).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(await deliveries(subjectId))}`);
    });
    expect(all.map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(at(all, 'hubspot').attempts).toBeGreaterThan(1);
    expect(at(all, 'webhook').attempts).toBeGreaterThan(1);
  });

  it('abandons a call that hangs and retries it', async () => {
    // The push's write hangs (a one-shot fault on any path could be taken by the connection's import instead).
    hubspot.injectFault({ kind: 'timeout', count: 1, path: '/batch/update' });
    const all = await settled(await withdrawNewPerson());
    expect(at(all, 'hubspot')).toMatchObject({ status: 'succeeded' });
    expect(at(all, 'hubspot').attempts).toBeGreaterThan(1);
  });

  it('refreshes an expired token once and succeeds', async () => {
    hubspot.injectFault({ kind: 'expire_tokens' });
    salesforce.injectFault({ kind: 'expire_tokens' });
    const all = await settled(await withdrawNewPerson());
    expect(all.map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('ends a delivery the vendor refuses outright as dead with the reason, and a retry through the API sends it again', async () => {
    processor.injectFault({ kind: '410', count: 1 });
    const subjectId = await withdrawNewPerson();
    const all = await settled(subjectId);
    const dead = at(all, 'webhook');
    expect(dead.status).toBe('dead');
    expect(dead.reason).toMatch(/410/);
    expect(dead.last_error_class).toBe('permanent');

    const retry = await gw.api(`/v1/deliveries/${dead.id}/retry`, { method: 'POST' });
    expect(retry.status).toBe(202);
    await eventually(
      async () => (await deliveries(subjectId)).find((d) => d.id === dead.id)?.status === 'succeeded',
    );
  });

  it('when a 207 names one contact as gone, looks its person up again (found nowhere: skipped) and delivers the others of the batch', async () => {
    // Two people already pushed once (so HubSpot ids are on record); one of them is then deleted at HubSpot.
    const first = await withdrawNewPerson();
    const second = await withdrawNewPerson();
    await settled(first);
    await settled(second);
    const [gone] = await db.query<{ subject_id: string }>(
      `SELECT subject_id FROM connection_record WHERE subject_id = $1`,
      [first],
    );
    expect(gone).toBeDefined();
    const contact = [...hubspot.portal().contacts.values()].find(
      (c) => c.properties.firstname === `P${sequence - 1}`,
    )!;
    hubspot.portal().contacts.delete(contact.id);
    hubspot.portal().sortedIds = null;
    await gw.api('/v1/connections/' + ids.hubspot, { method: 'PATCH', json: { status: 'paused' } });
    for (const subjectId of [first, second]) {
      await gw.api('/v1/consent-events', {
        method: 'POST',
        json: {
          event_id: `regrant-${subjectId}`,
          subject_id: subjectId,
          purpose: 'marketing',
          channel: 'whatsapp',
          status: 'granted',
          captured_at: new Date().toISOString(),
        },
      });
    }
    await gw.api('/v1/connections/' + ids.hubspot, { method: 'PATCH', json: { status: 'active' } });
    const failed = (await settled(first, 6)).filter(
      (d) => d.connection_id === ids.hubspot && d.status !== 'succeeded',
    );
    const delivered = (await settled(second, 6)).filter((d) => d.connection_id === ids.hubspot);
    expect(failed).toHaveLength(1);
    // The contact was deleted at HubSpot: not a failure to retry for ever, but a person HubSpot no longer holds
    // (re-opened if a record of theirs appears).
    expect(failed[0]).toMatchObject({ status: 'skipped', reason: 'not_found_at_vendor' });
    expect(delivered.map((d) => d.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('marks the connection auth_failed when the refresh keeps failing, and ends its deliveries dead with that reason', async () => {
    salesforce.injectFault({ kind: 'refresh_fails', count: 100 });
    salesforce.injectFault({ kind: 'expire_tokens' });
    const all = await settled(await withdrawNewPerson());
    expect(at(all, 'salesforce').status).toBe('dead');
    expect(at(all, 'salesforce').reason).toMatch(/auth/i);
    expect(at(all, 'hubspot').status).toBe('succeeded');
    const connection = await json(await gw.api(`/v1/connections/${ids.salesforce}`));
    expect(connection.status).toBe('auth_failed');
    expect(connection.last_error).toBeTruthy();
  });

  it('leaves nothing pending', async () => {
    const [open] = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM delivery WHERE status IN ('pending','retrying','in_progress')`,
    );
    expect(Number(open.n)).toBe(0);
  });
});
