import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { UserService } from '../../src/modules/auth/user.service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { json, startTestApp, testConfig, type TestApp } from '../support/app';
import { chromiumExecutable } from './chromium';
import { checkPage } from './page-check';

/**
 * The deliveries page, a delivery's page, the person page and the overview's charts in a real headless Chromium
 * (issue 11). Two connections and two people; the workers do not run, so each delivery's outcome is set in the
 * database on purpose: succeeded, skipped because the vendor has no record, dead, sent without a DPA, an erasure.
 * A screenshot of every page and state is saved under test-output/screenshots/.
 */

const PASSWORD = 'correct horse battery staple 42';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');
const ANA = '+4915112345001';
const ANA_AS_WHATSAPP_SHOWS = '4915112345001';

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('deliveries, people and charts in the console', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let first: string;
  let second: string;
  const pageErrors: string[] = [];

  // Every state: a screenshot, axe-core (no serious or critical violation) and Tab reachability.
  const shot = (step: string) => checkPage(page, `deliveries-${step}`);

  async function consent(eventId: string, phone: string, status: 'granted' | 'withdrawn') {
    const res = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: eventId,
        phone,
        purpose: 'marketing',
        channel: 'whatsapp',
        status,
        captured_at: new Date().toISOString(),
      },
    });
    expect(res.status).toBe(200);
    return (await json(res)).subject_id as string;
  }

  async function connect(name: string, vendorId?: string) {
    const res = await gw.api('/v1/connections', {
      method: 'POST',
      json: { type: 'webhook', name, vendor_id: vendorId, credentials: { url: 'http://127.0.0.1:9/hooks' } },
    });
    expect(res.status).toBe(201);
    return (await json(res)).id as string;
  }

  async function signIn() {
    await page.goto(`${gw.baseUrl}/console/`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel('Email').fill('dana@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }

  const openDeliveries = async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Deliveries' }).click();
    await page.locator('table.deliveries-table').waitFor();
  };
  const rows = () => page.locator('table.deliveries-table tbody tr');

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase();
    gw = await startTestApp({
      databaseUrl: db.url,
      // No worker: the deliveries stay as the test sets them. The processors' address only has to pass the guard.
      config: testConfig(db.url, { OUTBOUND_ALLOWLIST: '127.0.0.1:*' }),
      roles: { api: true, worker: false },
    });
    await gw.app
      .get(UserService)
      .create({ email: 'dana@example.com', name: 'Dana Admin', role: 'admin', password: PASSWORD });

    // The first connection's vendor has a DPA ending in 20 days (the expiry chart's amber marker).
    const vendor = await gw.api('/v1/vendors', {
      method: 'POST',
      json: { name: 'Acme CRM', role: 'processor' },
    });
    expect(vendor.status).toBe(201);
    const vendorId = (await json(vendor)).id as string;
    const dpa = await gw.api(`/v1/vendors/${vendorId}/dpas`, {
      method: 'POST',
      json: { status: 'signed', signed_at: day(-300), effective_from: day(-300), expires_at: day(20) },
    });
    expect(dpa.status).toBe(201);
    first = await connect('Acme CRM', vendorId);
    second = await connect('Beta Mailer');

    const ana = await consent('ana-1', ANA, 'granted');
    const ben = await consent('ben-1', '+4915112345002', 'granted');
    const set = (sql: string, subject: string, connection: string) =>
      db.query(
        `UPDATE delivery SET ${sql}, completed_at = now() WHERE subject_id = $1 AND connection_id = $2`,
        [subject, connection],
      );
    await set(`status = 'succeeded', attempts = 2, vendor_reference = 'evt_1'`, ana, first);
    await set(`status = 'skipped', reason = 'not_found_at_vendor', attempts = 1`, ana, second);
    await set(`status = 'dead', attempts = 8, last_error = 'HTTP 500 from the processor'`, ben, first);
    await set(`status = 'succeeded', attempts = 1, flags = '{dpa_missing}'`, ben, second);
    await db.query(
      `INSERT INTO delivery (connection_id, subject_id, operation, status, attempts, evidence, completed_at)
       VALUES ($1, $2, 'erasure', 'succeeded', 1, '{"mode":"hard_delete","records":1}', now())`,
      [first, ana],
    );
    await consent('ana-2', ANA, 'withdrawn');

    browser = await chromium.launch({
      executablePath: await chromiumExecutable(),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-component-update'],
    });
  });

  beforeEach(async () => {
    pageErrors.length = 0;
    context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy|Refused/i.test(message.text()))
        pageErrors.push(message.text());
    });
    await signIn();
  });

  afterEach(async () => {
    await context?.close();
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await db?.drop();
  });

  it('opens on every delivery across both connections, with the person masked and the direction in words', async () => {
    await openDeliveries();
    await expect(rows().count()).resolves.toBe(7);
    const table = page.locator('table.deliveries-table');
    await table.getByRole('cell', { name: 'Acme CRM' }).first().waitFor();
    await table.getByRole('cell', { name: 'Beta Mailer' }).first().waitFor();
    expect(await table.getByRole('link', { name: 'Person +49 ••• ••• 001' }).count()).toBe(5);
    for (const words of [
      'Consent granted',
      'Consent withdrawn',
      'Erasure',
      'Sent without a DPA',
      'Failed, gave up',
    ])
      await table.getByText(words).first().waitFor();
    expect(await page.content()).not.toContain('4915112345001');
    // Newest first: Ana's withdrawal, to both connections, heads the list.
    await expect(rows().first().textContent()).resolves.toContain('Consent withdrawn');
    await shot('01-all');
  });

  it('narrows the list by connection, status, what was sent and flag', async () => {
    await openDeliveries();
    await page.getByLabel('Connection').selectOption({ label: 'Beta Mailer' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/connection_id=/);
    await page.getByRole('table', { name: /to Beta Mailer/ }).waitFor();
    await expect(rows().count()).resolves.toBe(3);
    await shot('02-one-connection');

    await page.getByLabel('Connection').selectOption({ label: 'All connections' });
    await page.getByLabel('Status').selectOption({ label: 'Failed, gave up' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('table', { name: /failed, gave up/ }).waitFor();
    await expect(rows().count()).resolves.toBe(1);
    await rows().getByRole('button', { name: 'Retry the delivery to Acme CRM' }).waitFor();
    await shot('03-dead');

    await page.getByLabel('Status').selectOption({ label: 'Any status' });
    await page.getByLabel('What was sent').selectOption({ label: 'Erasure' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('table', { name: /erasure/ }).waitFor();
    await expect(rows().count()).resolves.toBe(1);
    await shot('04-erasures');

    await page.getByLabel('What was sent').selectOption({ label: 'Anything' });
    await page.getByLabel('Flag').selectOption({ label: 'Sent without a DPA' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('table', { name: /Sent without a DPA/ }).waitFor();
    await expect(rows().count()).resolves.toBe(1);
    await expect(rows().first().textContent()).resolves.toContain('Beta Mailer');
    await shot('05-flagged');
  });

  it('offers no retry on a skipped not-found delivery, and says why in words', async () => {
    await openDeliveries();
    const skipped = rows().filter({ hasText: 'the vendor has no record of this person' });
    await skipped.first().waitFor();
    await expect(skipped.count()).resolves.toBe(1);
    await skipped.getByText('No retry needed: sent again when a record appears.').waitFor();
    await expect(skipped.getByRole('button', { name: /Retry/ }).count()).resolves.toBe(0);
    await skipped.getByRole('link', { name: /Open the delivery/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Delivery' }).waitFor();
    await page.getByText('It is sent again by itself when a record appears.').waitFor();
    await expect(page.getByRole('button', { name: /Retry/ }).count()).resolves.toBe(0);
    await shot('06-skipped-not-found');
  });

  it('opens a delivery’s page from its row: attempts, reference, evidence', async () => {
    await openDeliveries();
    await page.getByLabel('What was sent').selectOption({ label: 'Erasure' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('table', { name: /erasure/ }).waitFor();
    await rows()
      .first()
      .getByRole('link', { name: /Open the delivery to Acme CRM/ })
      .click();
    await page.waitForURL(/\/console\/deliveries\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { level: 2, name: 'To Acme CRM' }).waitFor();
    const evidence = page.locator('section', {
      has: page.getByRole('heading', { name: 'Evidence from the processor' }),
    });
    await evidence.getByText('How it was erased').waitFor();
    await evidence.getByText('hard delete').waitFor();
    await evidence.getByText('Records affected').waitFor();
    await shot('07-erasure-detail');

    // The dead one: its scrubbed error and a retry that queues it again.
    await openDeliveries();
    await page.getByLabel('Status').selectOption({ label: 'Failed, gave up' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('table', { name: /failed, gave up/ }).waitFor();
    await rows()
      .first()
      .getByRole('link', { name: /Open the delivery/ })
      .click();
    await page.getByText('HTTP 500 from the processor').waitFor();
    await page.getByRole('definition').filter({ hasText: /^8$/ }).waitFor();
    await shot('08-dead-detail');
  });

  it('finds a person by the bare number WhatsApp shows: masked identifiers, numbered events, readable evidence, a download', async () => {
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Person lookup' })
      .click();
    await page.getByLabel('Phone number or email').fill(ANA_AS_WHATSAPP_SHOWS);
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.waitForURL(/\/console\/people\?subject_id=/);
    await page.getByRole('heading', { level: 2, name: 'Person +49 ••• ••• 001' }).waitFor();
    expect(await page.content()).not.toContain(ANA_AS_WHATSAPP_SHOWS);
    const timeline = page.locator('section', { has: page.getByRole('heading', { name: 'Timeline' }) });
    await timeline.getByText('#2', { exact: true }).waitFor();
    await timeline.getByText('#1', { exact: true }).waitFor();
    // Times to the second (e.g. 14:03:27).
    expect(await timeline.locator('.timeline-head time').first().textContent()).toMatch(
      /\d{1,2}:\d{2}:\d{2}/,
    );
    await shot('10-person');

    await timeline.getByText('Evidence of event #1').click();
    const evidence = timeline.locator('details', { hasText: 'Evidence of event #1' });
    await evidence.getByRole('term').filter({ hasText: 'Captured' }).waitFor();
    await evidence.getByRole('term').filter({ hasText: 'Source' }).waitFor();
    await timeline.getByText('Consent receipt of event #1').click();
    const receipt = timeline.locator('details', { hasText: 'Consent receipt of event #1' });
    await receipt.getByRole('term').filter({ hasText: 'Controller' }).first().waitFor();
    await receipt.getByRole('term').filter({ hasText: 'How to withdraw' }).waitFor();
    await shot('11-person-evidence-open');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      timeline.getByRole('button', { name: 'Download the evidence and receipts (JSON)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^person-[0-9a-f]{8}-evidence\.json$/);
    const saved = JSON.parse(readFileSync(await download.path(), 'utf8'));
    expect(saved.events.map((e: { sequence: number; status: string }) => [e.sequence, e.status])).toEqual([
      [1, 'granted'],
      [2, 'withdrawn'],
    ]);
  });

  it('draws the overview’s charts, each with its numbers in a table', async () => {
    const trends = page.locator('section', { has: page.getByRole('heading', { level: 2, name: 'Trends' }) });
    await trends.getByRole('img', { name: /Deliveries to Acme CRM per day/ }).waitFor();
    await trends.getByRole('img', { name: /Deliveries to Beta Mailer per day/ }).waitFor();
    await trends.getByRole('img', { name: /Consent changes from The API per day/ }).waitFor();
    await trends.getByRole('img', { name: /When each vendor’s DPA expires/ }).waitFor();
    await shot('12-overview-charts');

    await trends.getByText('Show the numbers: Deliveries to Acme CRM per day').click();
    const acme = trends.getByRole('table', { name: 'Deliveries to Acme CRM per day' });
    await acme.waitFor();
    const today = new Date().toISOString().slice(0, 10);
    // Ana's grant succeeded after two attempts (retried), her erasure at once; Ben's died.
    const todayRow = acme.getByRole('row', { name: new RegExp(`^${today}`) });
    // Succeeded, retried, dead, skipped.
    expect(await todayRow.locator('td').allTextContents()).toEqual(['1', '1', '1', '0']);
    await trends.getByText('Show the numbers: When each vendor’s DPA expires').click();
    const expiry = trends.getByRole('table', { name: 'When each vendor’s DPA expires' });
    await expiry.getByRole('row', { name: `Acme CRM ${day(20)} 20` }).waitFor();
    await shot('13-overview-chart-numbers');
  });

  // Last: it changes the dead delivery the tests above count.
  it('retries a dead delivery from its page', async () => {
    await openDeliveries();
    await page.getByLabel('Status').selectOption({ label: 'Failed, gave up' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('table', { name: /failed, gave up/ }).waitFor();
    await rows()
      .first()
      .getByRole('link', { name: /Open the delivery/ })
      .click();
    await page.getByRole('button', { name: 'Retry the delivery to Acme CRM' }).click();
    await page.getByRole('definition').getByText('Waiting to be sent').waitFor();
    await shot('09-dead-retried');
  });
});
