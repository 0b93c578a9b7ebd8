import { mkdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { UserService } from '../../src/modules/auth/user.service';
import { HubSpotSimulator } from '../../sandbox/hubspot';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, json, startTestApp, testConfig, type TestApp } from '../support/app';
import { chromiumExecutable } from './chromium';

/**
 * The requests pages in a real headless Chromium against the whole gateway in-process (its real requests
 * API) and the HubSpot simulator: what a DPO does with a data-subject request, click by click. Screenshots
 * under test-output/screenshots/requests-*.png. Each test sets up through the API what it needs.
 */

const CLIENT = { id: 'sandbox-client-id', secret: 'sandbox-client-secret' };
const PASSWORD = 'correct horse battery staple 42';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');
const DAY = 86_400_000;

/** A phone number no other test of this file uses (a valid US number). */
let phoneSeq = 0;
const newPhone = () => `+1650254${String(++phoneSeq).padStart(4, '0')}`;

interface RequestView {
  id: string;
  status: string;
  export_available: boolean;
  processors: { connection_name: string | null; status: string }[];
}

describe('the requests console in a browser', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const hubspot = new HubSpotSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  let hubspotUrl: string;
  const pageErrors: string[] = [];

  const shot = (step: string) => page.screenshot({ path: join(SCREENSHOTS, `${step}.png`), fullPage: true });

  async function signIn(target: Page, email: string) {
    await target.goto(`${gw.baseUrl}/console/`);
    await target.waitForURL(/\/console\/login/);
    await target.getByLabel('Email').fill(email);
    await target.getByLabel('Password').fill(PASSWORD);
    await target.getByRole('button', { name: 'Sign in' }).click();
    await target.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }

  /** A person the gateway knows: one consent granted through the API. */
  async function knownPerson(phone = newPhone()) {
    const res = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: `evt-${randomUUID()}`,
        phone,
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        captured_at: new Date(Date.now() - 60_000).toISOString(),
      },
    });
    expect({ status: res.status, body: await res.text() }).toMatchObject({ status: 200 });
    return phone;
  }

  /** A request recorded through the API (the bootstrap key holds every scope). */
  async function createRequest(body: Record<string, unknown>): Promise<RequestView> {
    const res = await gw.api('/v1/requests', { method: 'POST', json: body });
    const view = (await json(res)) as RequestView;
    expect({ status: res.status, view }).toMatchObject({ status: 201 });
    return view;
  }

  const requestView = async (id: string) => (await json(await gw.api(`/v1/requests/${id}`))) as RequestView;

  /** The request page's heading line: its title, status badge and deadline countdown. */
  const head = { getByText: (text: string | RegExp) => page.locator('.page-head').getByText(text) };

  async function openRequest(id: string, heading: string) {
    await page.goto(`${gw.baseUrl}/console/requests/${id}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase();
    hubspotUrl = await hubspot.start();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, { OUTBOUND_ALLOWLIST: '127.0.0.1:*' }),
    });
    const users = gw.app.get(UserService);
    await users.create({ email: 'dora@example.com', name: 'Dora DPO', role: 'dpo', password: PASSWORD });
    await users.create({ email: 'vic@example.com', name: 'Vic Viewer', role: 'viewer', password: PASSWORD });
    browser = await chromium.launch({
      executablePath: await chromiumExecutable(),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
        '--disable-sync',
      ],
    });
  });

  beforeEach(async () => {
    pageErrors.length = 0;
    context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    // A script error or a CSP violation in the page fails the test that caused it.
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy|Refused/i.test(message.text())) {
        pageErrors.push(message.text());
      }
    });
  });

  afterEach(async () => {
    await context?.close();
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await hubspot.stop();
    await db?.drop();
  });

  it('records an erasure a DPO received by letter, verifies it, and shows it completed at HubSpot', async () => {
    const phone = await knownPerson();
    hubspot.seedContacts({ contacts: [{ firstname: 'Erin', phone, hs_whatsapp_phone_number: phone }] });
    const created = await gw.api('/v1/connections', {
      method: 'POST',
      json: {
        type: 'hubspot',
        name: 'HubSpot CRM',
        base_url: hubspotUrl,
        credentials: { access_token: 'pat-na1-sandbox' },
      },
    });
    expect(created.status).toBe(201);
    const connectionId = ((await json(created)) as { id: string }).id;
    await eventually(async () => {
      const run = (await json(await gw.api(`/v1/connections/${connectionId}/backfill`))) as {
        backfill: { status: string } | null;
      };
      return run.backfill?.status === 'completed';
    }, 30_000);

    await signIn(page, 'dora@example.com');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Requests' }).click();
    await page.getByRole('heading', { level: 1, name: 'Requests' }).waitFor();
    await page.getByRole('button', { name: 'Record a request' }).click();
    await page.getByRole('heading', { name: 'Record a request' }).and(page.locator(':focus')).waitFor();
    const form = page.getByRole('form', { name: 'Record a request' });
    await form.getByLabel('Type of request').selectOption('erasure');
    await form.getByLabel('Identify the person by').selectOption('phone');
    await form.getByLabel('Phone, email or subject id').fill(phone);
    await form.getByLabel('Received through').fill('letter');
    await shot('requests-10-record');
    await form.getByRole('button', { name: 'Record request' }).click();

    // Recorded without verification: it waits for the identity, with the one-month clock running.
    await page.getByRole('heading', { level: 1, name: 'Erasure request' }).waitFor();
    const id = new URL(page.url()).pathname.split('/').pop()!;
    await head.getByText('identity verification').waitFor();
    await head.getByText(/due in (28|29|30|31) days/).waitFor();
    expect(await page.getByText(phone).count()).toBe(0);

    const verify = page.getByRole('form', { name: 'Verify the identity' });
    await verify.getByLabel('Verified by').fill('id_document');
    await verify.getByLabel('Note').fill('Signed letter with a copy of the passport');
    await verify.getByRole('button', { name: 'Record verification' }).click();
    await page.getByRole('status').filter({ hasText: 'Identity verified' }).waitFor();
    await shot('requests-11-processors');

    await eventually(async () => (await requestView(id)).status === 'completed', 30_000);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await head.getByText('completed').waitFor();
    const hubspotRow = page.getByRole('row', { name: /HubSpot CRM/ });
    await hubspotRow.getByText('succeeded').waitFor();
    const timeline = page.getByRole('list', { name: 'What happened, newest first' });
    expect(await timeline.getByRole('listitem').count()).toBeGreaterThanOrEqual(3);
    // Nothing is left to do on a completed request.
    expect(await page.getByRole('region', { name: 'Actions' }).count()).toBe(0);
    await shot('requests-12-completed');
  });

  it('pauses, resumes and extends the deadline, then denies the request with its reason', async () => {
    const phone = await knownPerson();
    const request = await createRequest({ type: 'access', phone, source: 'email' });
    await signIn(page, 'dora@example.com');
    await openRequest(request.id, 'Access request');

    const pause = page.getByRole('form', { name: 'Pause the clock' });
    await pause.getByLabel('Why it is paused').fill('Asked the person for proof of address');
    await pause.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('status').filter({ hasText: 'Clock paused' }).waitFor();
    await head.getByText(/clock paused/).waitFor();
    await page.getByText('Asked the person for proof of address').first().waitFor();

    await page
      .getByRole('form', { name: 'Resume the clock' })
      .getByRole('button', { name: 'Resume' })
      .click();
    await page.getByRole('status').filter({ hasText: 'Clock resumed' }).waitFor();
    expect(await head.getByText(/clock paused/).count()).toBe(0);

    // A refused extension is explained next to the field the API names.
    const extend = page.getByRole('form', { name: 'Extend the deadline' });
    await extend.getByRole('button', { name: 'Extend' }).click();
    await extend.locator('[aria-invalid="true"]').first().waitFor();
    await extend.getByLabel('Extend by').selectOption('2');
    await extend.getByLabel('Reason for the extension').fill('Data held in many systems');
    await extend.getByLabel('The person was told on').fill(new Date().toISOString().slice(0, 10));
    await extend.getByRole('button', { name: 'Extend' }).click();
    await page.getByRole('status').filter({ hasText: 'Deadline extended' }).waitFor();
    const deadline = page.getByRole('region', { name: 'Deadline' });
    await deadline.getByText(/2 months on .*Data held in many systems/).waitFor();
    await head.getByText(/due in (8\d|9\d) days/).waitFor();
    await shot('requests-13-extended');

    const deny = page.getByRole('form', { name: 'Deny the request' });
    await deny
      .getByLabel('Reason for the denial')
      .fill('Manifestly excessive: the fifth identical request this month');
    await deny.getByRole('button', { name: 'Deny request' }).click();
    await page.getByRole('status').filter({ hasText: 'Request denied' }).waitFor();
    await head.getByText('denied').waitFor();
    await page
      .getByRole('region', { name: 'Summary' })
      .getByText(/fifth identical request/)
      .waitFor();
    expect(await page.getByRole('form', { name: 'Cancel the request' }).count()).toBe(0);
    expect((await requestView(request.id)).status).toBe('denied');
  });

  it('cancels a request the person withdrew', async () => {
    const request = await createRequest({ type: 'restriction', phone: await knownPerson() });
    await signIn(page, 'dora@example.com');
    await openRequest(request.id, 'Restriction request');
    const cancel = page.getByRole('form', { name: 'Cancel the request' });
    await cancel.getByLabel('Reason (optional)').fill('The person withdrew the request by phone');
    await cancel.getByRole('button', { name: 'Cancel request' }).click();
    await head.getByText('cancelled').waitFor();
    expect((await requestView(request.id)).status).toBe('cancelled');
  });

  it('shows an overdue request as overdue in the inbox and on the overview', async () => {
    const receivedAt = new Date(Date.now() - 40 * DAY).toISOString();
    const request = await createRequest({
      type: 'erasure',
      phone: await knownPerson(),
      received_at: receivedAt,
      source: 'letter',
    });
    await signIn(page, 'dora@example.com');
    const overdueGroup = page
      .getByRole('region', { name: /Data-subject requests/ })
      .getByRole('group', { name: /Overdue/ });
    await overdueGroup.getByRole('link', { name: new RegExp(`Erasure ${request.id.slice(0, 8)}`) }).waitFor();
    await overdueGroup
      .getByText(/overdue by \d+ days/)
      .first()
      .waitFor();
    await shot('requests-14-overview-overdue');

    await page.goto(`${gw.baseUrl}/console/requests?view=overdue`);
    const row = page.locator(`tr[data-request="${request.id}"]`);
    await row.getByText(/overdue by (9|10|11) days/).waitFor();
    // The week's list has no overdue request in it.
    await page.getByRole('form', { name: 'Filter requests' }).getByLabel('Show').selectOption('due_week');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/view=due_week/);
    await page.getByRole('table', { name: /Due this week/ }).waitFor();
    expect(await page.locator(`tr[data-request="${request.id}"]`).count()).toBe(0);
  });

  it('downloads the access export as JSON and opens the printable report', async () => {
    const phone = await knownPerson();
    const request = await createRequest({
      type: 'access',
      phone,
      verification: { method: 'id_document', note: 'Passport seen at the front desk' },
    });
    await eventually(async () => (await requestView(request.id)).export_available, 30_000);
    await signIn(page, 'dora@example.com');
    await openRequest(request.id, 'Access request');
    const exportCard = page.getByRole('region', { name: 'Access export' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      exportCard.getByRole('link', { name: 'Download export (JSON)' }).click(),
    ]);
    const exported = readFileSync(await download.path(), 'utf8');
    expect(() => JSON.parse(exported) as unknown).not.toThrow();
    expect(exported).toContain(phone);

    const [report] = await Promise.all([
      context.waitForEvent('page'),
      exportCard.getByRole('link', { name: 'Open printable report (HTML)' }).click(),
    ]);
    await report.waitForLoadState();
    expect(report.url()).toContain(`/v1/requests/${request.id}/export?format=html`);
    expect(await report.locator('body').textContent()).toContain(phone);
    await shot('requests-15-export');
  });

  it('shows the identifier the API refused next to the field', async () => {
    const count = async () =>
      ((await json(await gw.api('/v1/requests?limit=50'))) as { items: unknown[] }).items.length;
    const before = await count();
    await signIn(page, 'dora@example.com');
    await page.goto(`${gw.baseUrl}/console/requests`);
    const form = page.getByRole('form', { name: 'Record a request' });
    await form.getByLabel('Phone, email or subject id').fill('call me maybe');
    await form.getByRole('button', { name: 'Record request' }).click();
    const value = form.getByLabel('Phone, email or subject id');
    await value.and(page.locator('[aria-invalid="true"]')).waitFor();
    const after = await count();
    const describedBy = (await value.getAttribute('aria-describedby'))!.split(' ');
    const message = page.locator(`#${describedBy[describedBy.length - 1]}`);
    expect(await message.isVisible()).toBe(true);
    expect((await message.textContent())!.length).toBeGreaterThan(0);
    // Nothing was stored.
    expect(after).toEqual(before);
  });

  it('records a rectification verified on the spot and shows the correction masked', async () => {
    const phone = await knownPerson();
    const corrected = newPhone();
    await signIn(page, 'dora@example.com');
    await page.goto(`${gw.baseUrl}/console/requests`);
    const form = page.getByRole('form', { name: 'Record a request' });
    await form.getByLabel('Type of request').selectOption('rectification');
    await form.getByLabel('Phone, email or subject id').fill(phone);
    await form.getByLabel('Corrected phone').fill(corrected);
    await form.getByLabel('Verified by').fill('phone_callback');
    await form.getByLabel('Verification note').fill('Called back on the number we hold');
    await form.getByRole('button', { name: 'Record request' }).click();
    await page.getByRole('heading', { level: 1, name: 'Rectification request' }).waitFor();
    const id = new URL(page.url()).pathname.split('/').pop()!;
    const summary = page.getByRole('region', { name: 'Summary' });
    await summary.getByText(/Verified by phone callback/).waitFor();
    await summary.getByText(/phone → \+1 /).waitFor();
    expect(await page.getByText(corrected).count()).toBe(0);
    await eventually(async () => (await requestView(id)).status === 'completed', 30_000);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await head.getByText('completed').waitFor();
    await page
      .getByRole('row', { name: /HubSpot CRM/ })
      .getByText('rectification')
      .waitFor();
  });

  // Last on purpose: from here on every erasure also opens a manual task for the unconnected processor.
  it('completes the manual task of a processor the gateway cannot reach, which completes the erasure', async () => {
    const vendor = await gw.api('/v1/vendors', { method: 'POST', json: { name: 'Paper Archive Ltd' } });
    expect(vendor.status).toBe(201);
    const vendorId = ((await json(vendor)) as { id: string }).id;
    const activity = await gw.api('/v1/processing-activities', {
      method: 'POST',
      json: {
        name: 'Customer letters',
        purpose: 'Archiving customer correspondence',
        legal_basis: 'contract',
        recipients: [vendorId],
      },
    });
    expect(activity.status).toBe(201);
    const request = await createRequest({
      type: 'erasure',
      phone: await knownPerson(),
      verification: { method: 'known_channel' },
    });
    await eventually(async () => (await requestView(request.id)).status === 'waiting_on_processors');

    await signIn(page, 'dora@example.com');
    await openRequest(request.id, 'Erasure request');
    await page
      .getByRole('row', { name: /Paper Archive Ltd/ })
      .getByText('open')
      .waitFor();
    const task = page.getByRole('form', { name: 'Manual task: Paper Archive Ltd' });
    await task.getByRole('button', { name: 'Complete with evidence' }).click();
    await task.getByLabel('Evidence').and(page.locator('[aria-invalid="true"]')).waitFor();
    await task.getByLabel('Evidence').fill('Archive confirmed destruction of the file by email on this day');
    await task.getByLabel('Reference (optional)').fill('PA-2291');
    await shot('requests-16-manual-task');
    await task.getByRole('button', { name: 'Complete with evidence' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Manual task at Paper Archive Ltd completed' })
      .waitFor();
    const row = page.getByRole('row', { name: /Paper Archive Ltd/ });
    await row.getByText('done').waitFor();
    await row.getByText('PA-2291').waitFor();
    await eventually(async () => (await requestView(request.id)).status === 'completed');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await head.getByText('completed').waitFor();
  });

  it('keeps requests from a viewer', async () => {
    await signIn(page, 'vic@example.com');
    const nav = page.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link', { name: 'Requests' }).count()).toBe(0);
    await page.goto(`${gw.baseUrl}/console/requests`);
    await page.getByRole('alert').filter({ hasText: 'Your role (Viewer) cannot open Requests' }).waitFor();
    expect(await page.getByRole('form').count()).toBe(0);
  });
});
