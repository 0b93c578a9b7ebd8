import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { textWebhook } from '../support/whatsapp';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { UserService } from '../../src/modules/auth/user.service';
import { HubSpotSimulator } from '../../sandbox/hubspot';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';
import { connectByOAuth } from '../support/sandbox';
import { chromiumExecutable } from './chromium';

/**
 * The console in a real headless Chromium, against the whole gateway in-process and the HubSpot
 * simulator: what a DPO and a CRM admin do, click by click. A screenshot of every step is saved under
 * test-output/screenshots/. Each test opens a browser context of its own and sets up through the API what
 * it needs, so one failing step does not fail the ones after it.
 */

const PHONE = '+16315551182';
const WA_ID = '16315551182';
const CLIENT = { id: 'sandbox-client-id', secret: 'sandbox-client-secret' };
const PASSWORD = 'correct horse battery staple 42';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

/** A STOP typed on WhatsApp, as Meta delivers it. */
const stop = (wamid: string, timestamp: number) => textWebhook({ wamid, from: WA_ID, timestamp });

/** A small but well-formed one-page PDF. */
function samplePdf(): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('the console in a browser', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  // The portal the admin connects by clicking, and the one the person who types STOP is in.
  const hubspot = new HubSpotSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  const stopPortal = new HubSpotSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
  let hubspotUrl: string;
  let stopPortalUrl: string;
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

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase();
    hubspotUrl = await hubspot.start();
    stopPortalUrl = await stopPortal.start();
    const port = await freePort();
    const config = testConfig(db.url, {
      PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      OUTBOUND_ALLOWLIST: '127.0.0.1:*',
      HUBSPOT_CLIENT_ID: CLIENT.id,
      HUBSPOT_CLIENT_SECRET: CLIENT.secret,
    });
    gw = await startTestApp({ databaseUrl: db.url, config });
    const users = gw.app.get(UserService);
    await users.create({ email: 'dana@example.com', name: 'Dana Admin', role: 'admin', password: PASSWORD });
    await users.create({ email: 'vic@example.com', name: 'Vic Viewer', role: 'viewer', password: PASSWORD });

    // One Art. 30 record, so the ROPA export has a row.
    const activity = await gw.api('/v1/processing-activities', {
      method: 'POST',
      json: { name: 'WhatsApp marketing', purpose: 'Marketing messages on WhatsApp', legal_basis: 'consent' },
    });
    expect(activity.status).toBe(201);

    // launch() gives the browser a fresh, temporary user-data-dir of its own, removed on close.
    browser = await chromium.launch({
      executablePath: await chromiumExecutable(),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  beforeEach(async () => {
    pageErrors.length = 0;
    context = await browser.newContext({ viewport: { width: 1366, height: 800 }, acceptDownloads: true });
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
    await stopPortal.stop();
    await db?.drop();
  });

  it('serves the console with a strict content security policy', async () => {
    const res = await gw.api('/console/vendors', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = await gw.api('/console/app.js', { key: null });
    expect(asset.headers.get('content-type')).toContain('javascript');
    expect(asset.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await gw.api('/console/pages/missing.js', { key: null })).status).toBe(404);
  });

  it('signs a user in', async () => {
    await page.goto(`${gw.baseUrl}/console/`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel('Email').fill('dana@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'email or password is not right' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await shot('01-login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByText('Consents granted').waitFor();
    expect(
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents(),
    ).toEqual([
      'Overview',
      'Vendors',
      'Processing activities',
      'Connections',
      'Deliveries',
      'WhatsApp relay',
      'Requests',
      'Person lookup',
      'Audit log',
      'API keys',
      'Users',
      'Settings',
    ]);
    await shot('02-overview');
  });

  it('adds a vendor with a DPA and uploads its signed document', async () => {
    await signIn(page, 'dana@example.com');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Vendors' }).click();
    await page.getByRole('heading', { level: 1, name: 'Vendors' }).waitFor();
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Add a vendor' }) });
    await form.getByLabel('Name', { exact: true }).fill('Acme Analytics');
    await form.getByLabel('Legal name').fill('Acme Analytics Ltd');
    await form.getByLabel('Country of establishment').selectOption('IE');
    await form.getByLabel('Privacy contact email').fill('privacy@acme.example');
    await form.getByLabel('Purposes').fill('marketing analytics');
    await form.getByRole('button', { name: 'Add vendor' }).click();
    await page.getByRole('heading', { level: 1, name: 'Acme Analytics' }).waitFor();
    await page.getByText('No DPA is recorded').waitFor();

    const pdf = samplePdf();
    const dpaForm = page.locator('form', { has: page.getByRole('heading', { name: 'Add a DPA version' }) });
    await dpaForm.getByLabel('Status').selectOption('signed');
    await dpaForm.getByLabel('Signed on').fill(day(-10));
    await dpaForm.getByLabel('Effective from').fill(day(-10));
    await dpaForm.getByLabel('Expires on').fill(day(700));
    await dpaForm.getByLabel('Breach notification (hours)').fill('48');
    // The Art. 28(3) clauses start unticked: the DPO confirms each one found in the signed text.
    for (const clause of await dpaForm.getByRole('checkbox').all()) await clause.check();
    await dpaForm.getByLabel(/Signed document/).setInputFiles({
      name: 'acme-dpa.pdf',
      mimeType: 'application/pdf',
      buffer: pdf,
    });
    await dpaForm.getByRole('button', { name: 'Record DPA version' }).click();
    const dpaSection = page.locator('section', {
      has: page.getByRole('heading', { name: /Data processing agreement, version 1/ }),
    });
    await dpaSection.getByText('DPA signed').waitFor();
    await dpaSection.getByRole('link', { name: 'acme-dpa.pdf' }).waitFor();
    expect(await dpaSection.getByRole('listitem').count()).toBe(8);
    await shot('03-vendor-with-dpa');

    // The document stored is the file chosen, byte for byte.
    const vendors = await json(await gw.api('/v1/vendors?q=Acme'));
    const vendor = vendors.vendors[0];
    expect(vendor.dpa_status).toBe('signed');
    expect(vendor.dpa.document.sha256).toBe(createHash('sha256').update(pdf).digest('hex'));
  });

  it('connects a HubSpot sandbox portal through the OAuth redirect flow', async () => {
    await signIn(page, 'dana@example.com');
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Connections' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Connect HubSpot' }) });
    await form.getByLabel('Connection name').fill('HubSpot sandbox');
    await form.getByText('Sandbox host (optional)').click();
    await form.getByLabel('API host').fill(hubspotUrl);
    await shot('04-connect-hubspot');
    await form.getByRole('button', { name: 'Connect HubSpot' }).click();
    // gateway authorize → HubSpot consent screen → gateway callback → back to the console.
    await page.waitForURL(/\/console\/connections\?connected=/);
    const connected = new URL(page.url()).searchParams.get('connected')!;
    await page.getByRole('status').filter({ hasText: 'Connected HubSpot sandbox' }).waitFor();
    const card = page.locator(`[data-connection="${connected}"]`);
    await card.getByRole('heading', { name: 'HubSpot sandbox' }).waitFor();
    await card.getByText(String(hubspot.portal().portalId)).waitFor();
    await shot('05-hubspot-connected');

    await card.getByRole('button', { name: 'Test connection' }).click();
    await card.getByText('Test passed').waitFor();
  });

  it('shows a field the API refused next to that field', async () => {
    await signIn(page, 'dana@example.com');
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Connections' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
    const form = page.locator('form', {
      has: page.getByRole('heading', { name: 'Add a webhook processor' }),
    });
    await form.getByLabel('Name').fill('Internal hook');
    await form.getByLabel('Endpoint URL').fill('https://10.0.0.5/hook');
    await form.getByRole('button', { name: 'Add webhook processor' }).click();
    const url = form.getByLabel('Endpoint URL');
    // Locator assertions poll without evaluating strings in the page (its CSP forbids eval).
    await url.and(page.locator('[aria-invalid="true"]')).waitFor();
    expect(
      await url.evaluate(
        (el) =>
          (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement === el,
      ),
    ).toBe(true);
    const describedBy = (await url.getAttribute('aria-describedby'))!.split(' ');
    const message = page.locator(`#${describedBy[describedBy.length - 1]}`);
    expect(await message.isVisible()).toBe(true);
    expect((await message.textContent())!.length).toBeGreaterThan(0);
    await shot('06-field-error');
  });

  it('shows a STOP arriving and its delivery to HubSpot succeeding', async () => {
    // The person who will type STOP, in a HubSpot portal of this test's own, connected through the API.
    const hubspotContactId = stopPortal.seedContacts({
      contacts: [{ firstname: 'Kerry', hs_whatsapp_phone_number: PHONE, phone: PHONE }],
    }).firstId!;
    const hubspotConnectionId = await connectByOAuth(gw.api, 'hubspot', stopPortalUrl, 'HubSpot STOP portal');
    await signIn(page, 'dana@example.com');
    expect((await gw.postWebhook(stop('wamid.CONSOLE1', Math.floor(Date.now() / 1000)))).status).toBe(200);
    await eventually(async () => {
      const rows = await db.query<{ status: string }>(
        `SELECT status FROM delivery WHERE connection_id = $1`,
        [hubspotConnectionId],
      );
      return rows.length > 0 && rows.every((r) => r.status === 'succeeded');
    });
    expect(stopPortal.portal().contacts.get(hubspotContactId)!.properties.wa_marketing_consent).toBe(
      'OPTED_OUT',
    );

    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Person lookup' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Person lookup' }).waitFor();
    await page.getByLabel('Find by').selectOption('phone');
    await page.getByLabel('Phone number or email').fill(PHONE);
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.waitForURL(/\/console\/people\?subject_id=/);
    const consent = page.locator('section', { has: page.getByRole('heading', { name: 'Consent in force' }) });
    await consent.getByText('withdrawn').first().waitFor();
    const deliveries = page.locator('section', { has: page.getByRole('heading', { name: 'Deliveries' }) });
    const row = deliveries.getByRole('row', { name: /HubSpot STOP portal/ });
    await row.getByText('Delivered').waitFor();
    await shot('07-person-stop-delivered');

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Deliveries' }).click();
    await page.getByLabel('Connection').selectOption(hubspotConnectionId);
    await page.getByLabel('Status').selectOption('succeeded');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('table').getByText('Delivered').first().waitFor();
    await shot('08-deliveries');

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Overview' }).click();
    const today = page.locator('.stat', { hasText: 'Withdrawals today' });
    expect(await today.locator('.stat-value').textContent()).toBe('1');
    await page.getByRole('row', { name: /HubSpot STOP portal/ }).waitFor();
    await shot('09-overview-after-stop');
  });

  it('lists the CRM records it could not match, and sets the region of national numbers', async () => {
    const portal = new HubSpotSimulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret });
    const portalUrl = await portal.start();
    try {
      const garbled = portal.seedContacts({
        contacts: [
          { firstname: 'Nobody', phone: 'call me' },
          { firstname: 'Ok', phone: '+49 1511 2345678' },
        ],
      }).firstId!;
      const created = await gw.api('/v1/connections', {
        method: 'POST',
        json: {
          type: 'hubspot',
          name: 'Imported CRM',
          base_url: portalUrl,
          credentials: { access_token: 'pat-na1-sandbox' },
        },
      });
      const body = (await json(created)) as { id: string };
      expect({ status: created.status, body }).toMatchObject({ status: 201, body: { name: 'Imported CRM' } });
      const { id } = body;
      await eventually(async () => {
        const run = (await json(await gw.api(`/v1/connections/${id}/backfill`))) as {
          backfill: { status: string; last_error: string | null } | null;
        };
        if (run.backfill?.last_error) throw new Error(run.backfill.last_error);
        return run.backfill?.status === 'completed';
      });

      await signIn(page, 'dana@example.com');
      await page
        .getByRole('navigation', { name: 'Console' })
        .getByRole('link', { name: 'Connections' })
        .click();
      const card = page.locator(`[data-connection="${id}"]`);
      await card.getByText('Records we could not match').click();
      const rows = card.getByRole('table', { name: 'Records of Imported CRM that could not be matched' });
      await rows
        .getByRole('row', { name: new RegExp(`${garbled}.*phone.*not a phone number we can read`, 'i') })
        .waitFor();
      await shot('07-unmatched-records');
      // Where the problem is and why: never the value itself.
      expect(await card.getByText('call me').count()).toBe(0);

      await card.getByText('Mapping, erasure mode and phone region').click();
      await card.getByLabel('Phone region').fill('DE');
      await card.getByRole('button', { name: 'Save settings' }).click();
      await page.getByRole('status').filter({ hasText: 'Settings of Imported CRM saved' }).waitFor();
      await page.locator(`[data-connection="${id}"]`).getByText('DE', { exact: true }).waitFor();
    } finally {
      await portal.stop();
    }
  });

  it('exports the ROPA as CSV', async () => {
    await signIn(page, 'dana@example.com');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Vendors' }).click();
    await page.getByRole('heading', { level: 1, name: 'Vendors' }).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'ROPA (CSV)' }).click(),
    ]);
    const path = await download.path();
    const csv = readFileSync(path, 'utf8');
    expect(csv.split('\r\n')[0]).toBe(
      'id,name,purpose,legal_basis,legitimate_interest,data_categories,data_subjects,recipients,transfers,retention,security_measures,dpia_required,dpia_reference,controller_contact,status,updated_at',
    );
    expect(csv).toContain('WhatsApp marketing');
    await shot('10-ropa-exported');
  });

  it('shows the audit log with its chain verified', async () => {
    await signIn(page, 'dana@example.com');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    await page.getByText('Chain intact').waitFor();
    await shot('11-audit');
  });

  it('lets an admin unlock a user locked out by failed sign-ins', async () => {
    await gw.app
      .get(UserService)
      .create({ email: 'lou@example.com', name: 'Lou Locked', role: 'viewer', password: PASSWORD });
    for (let i = 0; i < 5; i++)
      await gw.api('/console/api/session', {
        key: null,
        method: 'POST',
        json: { email: 'lou@example.com', password: `wrong guess ${i}` },
      });
    await signIn(page, 'dana@example.com');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await page.getByText(/Locked for \d+ more minutes/).waitFor();
    await shot('13-users-locked');
    await page.getByRole('button', { name: 'Unlock Lou Locked' }).click();
    await page.getByText('Lou Locked can sign in again.').waitFor();
    expect(await page.getByRole('button', { name: 'Unlock Lou Locked' }).count()).toBe(0);
  });

  it('keeps person lookup and API keys from a viewer', async () => {
    const viewerContext = await browser.newContext({ viewport: { width: 1366, height: 800 } });
    const viewer = await viewerContext.newPage();
    try {
      await signIn(viewer, 'vic@example.com');
      const nav = viewer.getByRole('navigation', { name: 'Console' });
      expect(await nav.getByRole('link').allTextContents()).toEqual([
        'Overview',
        'Vendors',
        'Processing activities',
        'Connections',
        'Deliveries',
        'WhatsApp relay',
        'Settings',
      ]);
      // No buttons for what a viewer cannot do.
      await nav.getByRole('link', { name: 'Connections' }).click();
      await viewer.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
      expect(await viewer.getByRole('button', { name: 'Connect HubSpot' }).count()).toBe(0);
      expect(await viewer.getByRole('button', { name: 'Pause' }).count()).toBe(0);

      for (const [path, title] of [
        ['/console/people', 'Person lookup'],
        ['/console/api-keys', 'API keys'],
      ] as const) {
        await viewer.goto(`${gw.baseUrl}${path}`);
        await viewer.getByRole('heading', { level: 1, name: title }).waitFor();
        await viewer
          .getByRole('alert')
          .filter({ hasText: `Your role (Viewer) cannot open ${title}` })
          .waitFor();
        expect(await viewer.getByRole('form').count()).toBe(0);
      }
      await viewer.screenshot({ path: join(SCREENSHOTS, '12-viewer-refused.png'), fullPage: true });

      // And the API refuses it too, whatever the page shows.
      const statuses = await viewer.evaluate(async () => {
        const get = async (p: string) => (await fetch(p)).status;
        return [await get('/v1/api-keys'), await get('/v1/consents?phone=%2B16315551182')];
      });
      expect(statuses).toEqual([403, 403]);
    } finally {
      await viewerContext.close();
    }
  });
});
