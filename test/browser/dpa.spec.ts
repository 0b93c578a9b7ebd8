import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { UserService } from '../../src/modules/auth/user.service';
import { WebhookProcessorSimulator } from '../../sandbox/webhook-processor';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';
import { createValidDpa, TINY_PDF } from '../support/registry';
import { chromiumExecutable } from './chromium';
import { checkPage } from './page-check';

/**
 * Issue 11, the DPA gate must not be fooled, in a real headless Chromium: a refused file leaves no DPA
 * version behind; an incomplete DPA (signed in the future, clauses unticked, no document) does not open
 * the gate and is listed under Needs attention; an agreement close to its end shows an amber badge and
 * can be filtered. A screenshot of every state is saved under test-output/screenshots/.
 */

const PASSWORD = 'correct horse battery staple 42';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('DPAs in the console', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const processor = new WebhookProcessorSimulator('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  let processorUrl = '';
  const pageErrors: string[] = [];
  /** Every DPA create or upload the page sent. */
  const dpaWrites: string[] = [];

  // Every state: a screenshot, axe-core (no serious or critical violation) and Tab reachability.
  const shot = (name: string) => checkPage(page, `dpa-${name}`);

  async function signIn() {
    await page.goto(`${gw.baseUrl}/console/`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel('Email').fill('dana@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }

  async function vendor(name: string): Promise<string> {
    const res = await gw.api('/v1/vendors', { method: 'POST', json: { name, role: 'processor' } });
    expect(res.status).toBe(201);
    return (await json(res)).id;
  }

  const versionsOf = async (vendorId: string) =>
    (await json(await gw.api(`/v1/vendors/${vendorId}/dpas`))).versions as { version: number }[];

  async function openVendor(vendorId: string, name: string) {
    await page.goto(`${gw.baseUrl}/console/vendors/${vendorId}`);
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }

  const dpaForm = () =>
    page.locator('form', { has: page.getByRole('heading', { name: 'Add a DPA version' }) });
  const dpaSection = () =>
    page.locator('section', { has: page.getByRole('heading', { name: /Data processing agreement/ }) });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase();
    processorUrl = await processor.start();
    const port = await freePort();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, {
        PORT: String(port),
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        OUTBOUND_ALLOWLIST: '127.0.0.1:*',
      }),
    });
    await gw.app
      .get(UserService)
      .create({ email: 'dana@example.com', name: 'Dana Admin', role: 'admin', password: PASSWORD });
    browser = await chromium.launch({
      executablePath: await chromiumExecutable(),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'],
    });
  });

  beforeEach(async () => {
    pageErrors.length = 0;
    dpaWrites.length = 0;
    context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => {
      if (request.method() !== 'GET' && /\/v1\/(vendors\/[^/]+\/dpas|dpas\/)/.test(request.url()))
        dpaWrites.push(`${request.method()} ${new URL(request.url()).pathname}`);
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
    await processor.stop();
    await db?.drop();
  });

  it('refuses a fake PDF, a file over 10 MB and an image before sending anything, and leaves no version', async () => {
    const vendorId = await vendor('Careful Uploads');
    await openVendor(vendorId, 'Careful Uploads');
    const form = dpaForm();
    // The clauses start unticked.
    const clauses = await form.getByRole('checkbox').all();
    expect(clauses).toHaveLength(8);
    for (const clause of clauses) expect(await clause.isChecked()).toBe(false);
    await form.getByLabel('Status').selectOption('signed');
    await form.getByLabel('Signed on').fill(day(-3));
    for (const clause of clauses) await clause.check();
    const file = form.getByLabel(/Signed document/);
    const submit = form.getByRole('button', { name: 'Record DPA version' });
    const error = page.locator(`#${await file.getAttribute('id')}-error`);

    const refusals: [string, { name: string; mimeType: string; buffer: Buffer }, RegExp][] = [
      [
        'fake-pdf',
        { name: 'contract.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00 not a pdf') },
        /“contract\.pdf” is not really a PDF file/,
      ],
      [
        'too-large',
        {
          name: 'scan.pdf',
          mimeType: 'application/pdf',
          buffer: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(10 * 1024 * 1024, 0x20)]),
        },
        /“scan\.pdf” is 10\.0 MB; a document may be at most 10 MB/,
      ],
      [
        'wrong-type',
        { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47]) },
        /“photo\.png” is not a PDF or a Word \(\.docx\) file/,
      ],
    ];
    for (const [name, chosen, message] of refusals) {
      await file.setInputFiles(chosen);
      await submit.click();
      await error.filter({ hasText: message }).waitFor();
      expect(await file.getAttribute('aria-invalid')).toBe('true');
      await shot(`refused-${name}`);
    }
    expect(dpaWrites).toEqual([]);
    expect(await versionsOf(vendorId)).toEqual([]);
  });

  it('shows a refusal by the gateway without saving anything, then saves version 1 once corrected', async () => {
    const vendorId = await vendor('Second Try');
    await openVendor(vendorId, 'Second Try');
    const form = dpaForm();
    await form.getByLabel('Status').selectOption('signed');
    await form.getByLabel('Signed on').fill(day(-3));
    await form.getByLabel('Effective from').fill(day(-3));
    await form.getByLabel('Expires on').fill(day(-5)); // before it takes effect: the gateway refuses it
    for (const clause of await form.getByRole('checkbox').all()) await clause.check();
    await form.getByLabel(/Signed document/).setInputFiles({
      name: 'second-try.pdf',
      mimeType: 'application/pdf',
      buffer: TINY_PDF,
    });
    await form.getByRole('button', { name: 'Record DPA version' }).click();
    // The gateway names the field; the page marks it and stays on the form, with nothing saved.
    await form.locator('[name="expires_at"][aria-invalid="true"]').waitFor();
    await shot('refused-by-gateway');
    expect(dpaWrites).toEqual([`POST /v1/vendors/${vendorId}/dpas`]);
    expect(await versionsOf(vendorId)).toEqual([]);
    await page.getByText('No DPA is recorded').waitFor();

    await form.getByLabel('Expires on').fill(day(700));
    await form.getByRole('button', { name: 'Record DPA version' }).click();
    await dpaSection()
      .getByRole('heading', { name: /version 1/ })
      .waitFor();
    await dpaSection().getByText('DPA signed').waitFor();
    await dpaSection().getByRole('link', { name: 'second-try.pdf' }).waitFor();
    await shot('saved-after-correction');
    expect((await versionsOf(vendorId)).map((v) => v.version)).toEqual([1]);
  });

  it('does not let an incomplete DPA open the gate, says what it lacks, and lists it under Needs attention', async () => {
    const vendorId = await vendor('Paper Tiger');
    const connection = await json(
      await gw.api('/v1/connections', {
        method: 'POST',
        json: {
          type: 'webhook',
          name: 'paper',
          vendor_id: vendorId,
          credentials: { url: `${processorUrl}/hooks` },
        },
      }),
    );
    processor.useSecret(connection.signing_secret);
    // The DPA: "signed" in 2030, every clause unticked, no document.
    const res = await gw.api(`/v1/vendors/${vendorId}/dpas`, {
      method: 'POST',
      json: { status: 'signed', signed_at: '2030-01-01' },
    });
    expect(res.status).toBe(201);

    // A grant to the vendor's connection is held; nothing reaches the processor.
    const grant = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: 'paper-tiger-1',
        phone: '+16315554001',
        email: 'person@example.com',
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        captured_at: new Date().toISOString(),
      },
    });
    const subjectId = (await json(grant)).subject_id as string;
    const held = await eventually(async () => {
      const [row] = await db.query<{ id: string; status: string; reason: string | null }>(
        `SELECT id, status, reason FROM delivery WHERE subject_id = $1 AND connection_id = $2`,
        [subjectId, connection.id],
      );
      return row && ['skipped', 'succeeded', 'dead'].includes(row.status) ? row : null;
    }, 20_000);
    expect(held).toMatchObject({ status: 'skipped', reason: 'dpa_missing' });
    expect(processor.received.filter((r) => r.id === held.id)).toHaveLength(0);

    await openVendor(vendorId, 'Paper Tiger');
    const section = dpaSection();
    await section.getByText('DPA incomplete').waitFor();
    const notice = section.locator('#dpa-incomplete');
    await notice.getByText('the signed document is not attached').waitFor();
    await notice
      .getByText(/Art\. 28\(3\) clauses not confirmed: \(a\) Acts only on documented instructions/)
      .waitFor();
    await notice.getByText(/a day still to come/).waitFor();
    await shot('incomplete-vendor');

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Overview' }).click();
    const attention = page.locator('section', {
      has: page.getByRole('heading', { name: /needing attention/ }),
    });
    const group = attention.locator('.attention-group', {
      has: page.getByRole('heading', { name: /DPAs recorded as signed but incomplete/ }),
    });
    await group.getByRole('link', { name: 'Paper Tiger' }).waitFor();
    await group.getByText(/the signed document is not attached/).waitFor();
    await shot('incomplete-needs-attention');

    await page.goto(`${gw.baseUrl}/console/vendors?dpa_status=incomplete`);
    const rows = page.locator('table.vendors-table tbody tr');
    await rows.first().getByText('DPA incomplete').waitFor();
    expect(await rows.allTextContents()).toEqual([expect.stringContaining('Paper Tiger')]);
    await shot('incomplete-filter');
  });

  it('attaches the missing document to a version without one, and the held grant goes out', async () => {
    const vendorId = await vendor('Paper Later');
    const connection = await json(
      await gw.api('/v1/connections', {
        method: 'POST',
        json: {
          type: 'webhook',
          name: 'later',
          vendor_id: vendorId,
          credentials: { url: `${processorUrl}/hooks` },
        },
      }),
    );
    processor.useSecret(connection.signing_secret);
    const all = Object.fromEntries(
      [
        'documented_instructions',
        'confidentiality',
        'security_measures',
        'sub_processor_conditions',
        'assists_with_dsr',
        'assists_with_32_36',
        'deletion_or_return',
        'audit_rights',
      ].map((c) => [c, true]),
    );
    await gw.api(`/v1/vendors/${vendorId}/dpas`, {
      method: 'POST',
      json: { status: 'signed', signed_at: day(-2), clauses: all },
    });
    const grant = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: 'paper-later-1',
        phone: '+16315554002',
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        captured_at: new Date().toISOString(),
      },
    });
    const subjectId = (await json(grant)).subject_id as string;
    const deliveryOf = async () =>
      (
        await db.query<{ id: string; status: string }>(
          `SELECT id, status FROM delivery WHERE subject_id = $1 AND connection_id = $2`,
          [subjectId, connection.id],
        )
      )[0];
    await eventually(async () => (await deliveryOf())?.status === 'skipped', 20_000);

    await openVendor(vendorId, 'Paper Later');
    const attach = page.locator('form', {
      has: page.getByRole('heading', { name: /Attach the signed document/ }),
    });
    await dpaSection().locator('#dpa-incomplete').getByText('Attach the signed document below.').waitFor();
    await attach.getByLabel(/Signed document/).setInputFiles({
      name: 'later.pdf',
      mimeType: 'application/pdf',
      buffer: TINY_PDF,
    });
    await shot('attach-document');
    await attach.getByRole('button', { name: 'Attach document' }).click();
    await dpaSection().getByText('DPA signed').waitFor();
    await dpaSection().getByRole('link', { name: 'later.pdf' }).waitFor();
    await shot('attached');
    await eventually(async () => (await deliveryOf())?.status === 'succeeded', 20_000);
  });

  it('shows an amber "expires in N days" badge, and filters the vendors expiring within 30 days', async () => {
    const soon = await vendor('Ending Soon');
    await createValidDpa(gw, soon, { expires_at: day(12) });
    const later = await vendor('Ending Later');
    await createValidDpa(gw, later, { expires_at: day(200) });

    await page.goto(`${gw.baseUrl}/console/vendors`);
    const soonRow = page.locator('table.vendors-table tbody tr', { hasText: 'Ending Soon' });
    const badge = soonRow.getByText('DPA expires in 12 days');
    await badge.waitFor();
    expect(await badge.getAttribute('class')).toContain('badge-warn');
    await page
      .locator('table.vendors-table tbody tr', { hasText: 'Ending Later' })
      .getByText('DPA signed')
      .waitFor();
    await shot('expiring-badge-list');

    await page.getByLabel('DPA').selectOption({ label: 'DPA expiring within 30 days' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/dpa_status=expiring_soon/);
    await page.locator('table.vendors-table caption', { hasText: 'Vendors (1)' }).waitFor();
    expect(await page.locator('table.vendors-table tbody tr').allTextContents()).toEqual([
      expect.stringContaining('Ending Soon'),
    ]);
    await shot('expiring-filter');

    const api = await json(await gw.api('/v1/vendors?dpa_expiring=true'));
    expect(api.vendors.map((v: { name: string }) => v.name)).toEqual(['Ending Soon']);

    await soonRow.getByRole('link', { name: 'Ending Soon' }).click();
    await page.getByRole('heading', { level: 1, name: /Ending Soon/ }).waitFor();
    await dpaSection().getByText('DPA expires in 12 days').waitFor();
    await shot('expiring-badge-vendor');
  });
});
