import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { UserService } from '../../src/modules/auth/user.service';
import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';
import { chromiumExecutable } from './chromium';
import { checkPage } from './page-check';

/**
 * The vendor registry and the Art. 30 record in a real headless Chromium (issue 11): a DPO records a
 * processing activity and the ROPA export then holds it; edits a vendor, gives it a transfer and a
 * sub-processor, archives it; and finds the vendor a connection created flagged incomplete until its role
 * and country are filled in. A screenshot of every page and state is saved under test-output/screenshots/.
 */

const PASSWORD = 'correct horse battery staple 42';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

describe('the registry in the console', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  let processorUrl = '';
  const pageErrors: string[] = [];

  /** Every page and state tested is saved (the accessibility check is wired in with the shared page check). */
  // Every state: a screenshot, axe-core (no serious or critical violation) and Tab reachability.
  const shot = (name: string) => checkPage(page, `registry-${name}`);

  const post = async (path: string, body: unknown) => {
    const res = await gw.api(path, { method: 'POST', json: body });
    expect(res.status).toBe(201);
    return json(res);
  };

  async function signIn(email = 'dora@example.com') {
    await page.goto(`${gw.baseUrl}/console/`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }

  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();

  /** The message shown next to a field (its aria-describedby error). */
  const fieldError = (form: ReturnType<Page['locator']>, text: string) =>
    form.locator('.field-error', { hasText: text });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase();
    processorUrl = await processor.start();
    const port = await freePort();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, { PORT: String(port), OUTBOUND_ALLOWLIST: '127.0.0.1:*' }),
    });
    await gw.app
      .get(UserService)
      .create({ email: 'dora@example.com', name: 'Dora DPO', role: 'dpo', password: PASSWORD });
    browser = await chromium.launch({
      executablePath: await chromiumExecutable(),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'],
    });
  });

  beforeEach(async () => {
    pageErrors.length = 0;
    context = await browser.newContext({ viewport: { width: 1366, height: 800 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy|Refused/i.test(message.text()))
        pageErrors.push(message.text());
    });
  });

  afterEach(async () => {
    await context?.close();
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await processor.stop();
    await db?.drop();
  });

  it('records a processing activity in the console, and the ROPA export then holds it', async () => {
    const mailer = await post('/v1/vendors', { name: 'Mailer GmbH', role: 'processor', country: 'DE' });
    await signIn();
    // Until an activity exists, the overview says the export is empty.
    const notice = page.getByRole('status').filter({ hasText: 'record of processing activities is empty' });
    await notice.waitFor();
    await shot('01-overview-ropa-empty');
    const emptyCsv = await (await context.request.get(`${gw.baseUrl}/v1/exports/ropa.csv`)).text();
    expect(emptyCsv.trim().split('\r\n')).toHaveLength(1);

    await notice.getByRole('link', { name: 'Add a processing activity' }).click();
    await page.getByRole('heading', { level: 1, name: 'New processing activity' }).waitFor();
    const form = page.getByRole('form', { name: 'Record a processing activity' });

    // Nothing filled in: each missing field is named in words, and nothing is sent.
    await form.getByRole('button', { name: 'Record activity' }).click();
    await fieldError(form, 'Enter a name for the activity.').waitFor();
    await fieldError(form, 'Say what the personal data is used for.').waitFor();
    await fieldError(form, 'Choose the legal basis.').waitFor();
    await shot('02-activity-form-errors');

    await form.getByLabel('Name', { exact: true }).fill('WhatsApp marketing');
    await form.getByLabel('Purpose').fill('Offers on WhatsApp to people who opted in');
    await form.getByLabel('Legal basis').selectOption('legitimate_interests');
    await form.getByRole('button', { name: 'Record activity' }).click();
    await fieldError(form, 'Describe the legitimate interest pursued').waitFor();
    await form.getByLabel('Legal basis').selectOption('consent');
    await form.getByLabel('Categories of data').fill('phone number\nconsent status');
    await form.getByLabel('Categories of people').fill('customers');
    await form.getByLabel('Mailer GmbH').check();
    await form.getByRole('button', { name: 'Add a transfer' }).click();
    const transfer = form.getByRole('group', { name: 'Transfer 1' });
    await transfer.getByLabel('Destination country').selectOption('US');
    await transfer.getByLabel('Safeguard').selectOption('sccs');
    await form.getByRole('button', { name: 'Record activity' }).click();
    await fieldError(form, 'Choose which module of the standard contractual clauses applies.').waitFor();
    await transfer.getByLabel('SCC module').selectOption('2');
    await form.getByLabel('Retention').fill('24 months after the last contact');
    await form.getByLabel('Security measures').fill('Encryption at rest, access by role');
    await form.getByLabel('Status').selectOption('approved');
    await shot('03-activity-form-filled');
    await form.getByRole('button', { name: 'Record activity' }).click();

    await page.getByRole('heading', { level: 1, name: 'WhatsApp marketing' }).waitFor();
    const facts = page.locator('section', { has: page.getByRole('heading', { name: 'As recorded' }) });
    await facts.getByText('Consent (Art. 6(1)(a))').waitFor();
    await facts.getByRole('link', { name: 'Mailer GmbH' }).waitFor();
    await facts.getByText(/Standard contractual clauses \(Art\. 46\), module 2/).waitFor();
    await shot('04-activity-recorded');

    // The exports, as the signed-in DPO downloads them.
    const csv = await (await context.request.get(`${gw.baseUrl}/v1/exports/ropa.csv`)).text();
    const lines = csv.trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('WhatsApp marketing');
    expect(lines[1]).toContain('Mailer GmbH');
    const ropa = await (await context.request.get(`${gw.baseUrl}/v1/exports/ropa.json`)).json();
    expect(ropa.processing_activities).toEqual([
      expect.objectContaining({
        name: 'WhatsApp marketing',
        legal_basis: 'consent',
        status: 'approved',
        data_categories: ['phone number', 'consent status'],
        recipients: [expect.objectContaining({ vendor_id: mailer.id })],
        transfers: [expect.objectContaining({ country: 'US', mechanism: 'sccs', sccs_module: 2 })],
      }),
    ]);

    // The list shows it, and the overview no longer warns.
    await nav('Processing activities');
    await page.getByRole('heading', { level: 1, name: 'Processing activities' }).waitFor();
    await page.getByRole('link', { name: 'WhatsApp marketing' }).waitFor();
    await shot('05-activities-list');
    await nav('Overview');
    await page.getByText('Consents granted').waitFor();
    await page.getByRole('heading', { name: /DPAs and vendors needing attention/ }).waitFor();
    expect(await notice.count()).toBe(0);
  });

  it('edits an activity, refusing a cleared purpose in plain words', async () => {
    const activity = await post('/v1/processing-activities', {
      name: 'Support chats',
      purpose: 'Answering customers on WhatsApp',
      legal_basis: 'contract',
    });
    await signIn();
    await page.goto(`${gw.baseUrl}/console/activities/${activity.id}`);
    const form = page.getByRole('form', { name: 'Edit this activity' });
    await form.getByLabel('Purpose').fill('');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await fieldError(form, 'Say what the personal data is used for.').waitFor();
    await shot('06-activity-edit-error');
    await form.getByLabel('Purpose').fill('Answering customers who write to us');
    await form.getByLabel('Status').selectOption('in_review');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Changes to Support chats saved.' }).waitFor();
    const saved = await json(await gw.api(`/v1/processing-activities/${activity.id}`));
    expect(saved).toMatchObject({ purpose: 'Answering customers who write to us', status: 'in_review' });
  });

  it('edits a vendor, records a transfer and a sub-processor, and archives it', async () => {
    const acme = await post('/v1/vendors', { name: 'Acme CRM', role: 'processor' });
    const host = await post('/v1/vendors', { name: 'Cloud Host Inc', role: 'sub_processor', country: 'US' });
    await signIn();
    await page.goto(`${gw.baseUrl}/console/vendors/${acme.id}`);
    await page.getByRole('heading', { level: 1, name: 'Acme CRM' }).waitFor();
    await shot('07-vendor-before-edit');

    await page.getByRole('button', { name: 'Edit facts' }).click();
    const form = page.getByRole('form', { name: 'Edit Acme CRM' });
    await form.getByLabel('Name', { exact: true }).fill('');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await fieldError(form, 'Enter the vendor’s name.').waitFor();
    await form.getByLabel('Name', { exact: true }).fill('Acme CRM Ltd');
    await form.getByLabel('Country of establishment').selectOption('IE');
    await form.getByLabel('Role').selectOption('processor');
    await form.getByLabel('Privacy contact email').fill('privacy@acme.example');
    await form.getByRole('button', { name: 'Add a transfer' }).click();
    const transfer = form.getByRole('group', { name: 'Transfer 1' });
    await transfer.getByLabel('Destination country').selectOption('US');
    await transfer.getByLabel('Safeguard').selectOption('sccs');
    await transfer.getByLabel('SCC module').selectOption('3');
    await shot('08-vendor-edit-form');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Acme CRM Ltd' }).waitFor();
    const facts = page.locator('section', { has: page.getByRole('heading', { name: 'Facts' }) });
    await facts.getByText('Processor (acts on our instructions)').waitFor();
    await facts.getByText(/Standard contractual clauses \(Art\. 46\), module 3/).waitFor();
    expect(await json(await gw.api(`/v1/vendors/${acme.id}`))).toMatchObject({
      name: 'Acme CRM Ltd',
      country: 'IE',
      transfers: [{ country: 'US', mechanism: 'sccs', sccs_module: 3, notes: null }],
    });

    // A sub-processor: added, then what it does corrected.
    const subs = page.locator('section', { has: page.getByRole('heading', { name: 'Sub-processors' }) });
    await subs.getByRole('button', { name: 'Add a sub-processor' }).click();
    const add = page.getByRole('form', { name: 'Add a sub-processor' });
    await add.getByLabel('Vendor engaged').selectOption({ label: 'Cloud Host Inc' });
    await add.getByLabel('What it does').fill('Hosting');
    await add.getByLabel('Objection deadline').fill('2027-01-31');
    await shot('09-sub-processor-form');
    await add.getByRole('button', { name: 'Add sub-processor' }).click();
    await subs.getByRole('row', { name: /Cloud Host Inc.*Hosting/ }).waitFor();
    await subs.getByRole('button', { name: 'Edit Cloud Host Inc' }).click();
    const edit = page.getByRole('form', { name: 'Edit Cloud Host Inc' });
    await edit.getByLabel('What it does').fill('Hosting and backups');
    await edit.getByRole('button', { name: 'Save' }).click();
    await subs.getByRole('cell', { name: 'Hosting and backups' }).waitFor();
    await shot('10-vendor-with-sub-processor');
    expect((await json(await gw.api(`/v1/vendors/${acme.id}`))).sub_processors).toEqual([
      expect.objectContaining({
        vendor_id: host.id,
        service: 'Hosting and backups',
        objection_deadline: '2027-01-31',
      }),
    ]);

    // Archived: hidden from the list, shown under "Archived".
    await page.getByRole('button', { name: 'Archive this vendor…' }).click();
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await page.getByText(/^Archived on .*: hidden from the vendors list\.$/).waitFor();
    await shot('11-vendor-archived');
    await nav('Vendors');
    await page.getByRole('heading', { level: 1, name: 'Vendors' }).waitFor();
    await page.getByRole('link', { name: 'Cloud Host Inc' }).waitFor();
    expect(await page.getByRole('link', { name: 'Acme CRM Ltd' }).count()).toBe(0);
    await page.getByLabel('Show').selectOption('only');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('link', { name: 'Acme CRM Ltd' }).waitFor();
    await shot('12-vendors-archived-filter');
  });

  it('refuses to archive a vendor with a live connection, saying why in place', async () => {
    const vendor = await post('/v1/vendors', { name: 'Busy Processor', role: 'processor', country: 'NL' });
    await post('/v1/connections', {
      type: 'webhook',
      name: 'busy hook',
      vendor_id: vendor.id,
      credentials: { url: `${processorUrl}/hooks` },
    });
    await signIn();
    await page.goto(`${gw.baseUrl}/console/vendors/${vendor.id}`);
    await page.getByRole('button', { name: 'Archive this vendor…' }).click();
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await page
      .getByText('Busy Processor still has a live connection: disconnect it before archiving the vendor.')
      .waitFor();
    await shot('13-archive-refused');
    expect((await json(await gw.api(`/v1/vendors/${vendor.id}`))).archived_at).toBeNull();
  });

  it('flags the vendor a connection created as incomplete until its role and country are filled in', async () => {
    const connection = await post('/v1/connections', {
      type: 'webhook',
      name: 'Survey Tool',
      credentials: { url: `${processorUrl}/hooks` },
    });
    await signIn();
    const attention = page.locator('section', {
      has: page.getByRole('heading', { name: /DPAs and vendors needing attention/ }),
    });
    const entry = attention.getByRole('listitem').filter({ hasText: 'Survey Tool' }).filter({
      hasText: 'missing role and country',
    });
    await entry.waitFor();
    await shot('14-overview-incomplete-vendor');

    await entry.getByRole('link', { name: 'Survey Tool' }).click();
    await page.getByRole('heading', { level: 1, name: 'Survey Tool' }).waitFor();
    await page.getByText('Incomplete: no role and country').waitFor();
    await page.getByText('Incomplete: the role and country are not recorded.').waitFor();
    await shot('15-vendor-incomplete');

    await page.getByRole('button', { name: 'Fill them in' }).click();
    const form = page.getByRole('form', { name: 'Edit Survey Tool' });
    await form.getByLabel('Role').selectOption('processor');
    await form.getByLabel('Country of establishment').selectOption('FR');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Changes to Survey Tool saved.' }).waitFor();
    // The page shows the vendor again (the form gone), complete.
    await page.getByRole('button', { name: 'Edit facts' }).waitFor();
    await page.getByText('France (FR)').waitFor();
    expect(await page.getByText(/Incomplete/).count()).toBe(0);
    await shot('16-vendor-completed');
    const vendor = await json(await gw.api(`/v1/vendors/${connection.vendor_id}`));
    expect(vendor).toMatchObject({ role: 'processor', country: 'FR', missing_facts: [] });
  });
});
