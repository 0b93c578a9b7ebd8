import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { UserService } from '../../src/modules/auth/user.service';
import { HubSpotSimulator } from '../../sandbox/hubspot';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';
import { connectByOAuth, SANDBOX_CLIENT, sandboxEnv } from '../support/sandbox';
import { chromiumExecutable } from './chromium';
import { checkPage } from './page-check';
import { createValidDpa } from '../support/registry';

/**
 * A tour of the whole console in headless Chromium: every route of console/app.js, visited as an admin, a
 * DPO and a CRM admin, empty on day one and then filled with realistic data (a HubSpot portal connected by
 * OAuth, vendors with and without a DPA, people whose consent reached HubSpot or found no record there,
 * data-subject requests, the audit entries all that wrote), plus the states people meet: a refused
 * sign-in, forms with errors, pages a role may not open, an unknown address. Each page and state goes
 * through checkPage (screenshot under test-output/screenshots/tour-*.png, axe-core, Tab reachability).
 * A test visits all its pages before failing, so one run lists every page that fails the check.
 */

const PASSWORD = 'correct horse battery staple 42';
const USERS = {
  admin: { email: 'ada@example.com', name: 'Ada Admin', role: 'admin' },
  dpo: { email: 'dora@example.com', name: 'Dora DPO', role: 'dpo' },
  crm: { email: 'carl@example.com', name: 'Carl CRM', role: 'crm_admin' },
} as const;
type Who = keyof typeof USERS;

/** The console's routes, read from app.js itself, so a page added there without a visit here fails. */
function consoleRoutes(): RegExp[] {
  const source = readFileSync(join(process.cwd(), 'console', 'app.js'), 'utf8');
  const routes = [...source.matchAll(/path: \/(.+?)\/,/g)].map((m) => new RegExp(m[1]));
  expect(routes.length).toBeGreaterThan(5);
  return routes;
}

describe('a tour of every console page', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const hubspot = new HubSpotSimulator({ clientId: SANDBOX_CLIENT.id, clientSecret: SANDBOX_CLIENT.secret });
  let hubspotUrl: string;
  const routes = consoleRoutes();
  const visited = new Set<string>();
  const pageErrors: string[] = [];
  // Pages that failed the check in the current test, all reported at its end.
  const failures: string[] = [];
  // Ids the filled tour opens pages of.
  const ids = { vendor: '', connection: '', request: '', subject: '', delivery: '' };

  async function signIn(who: Who) {
    await page.goto(`${gw.baseUrl}/console/`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel('Email').fill(USERS[who].email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }

  /** Opens a console address, waits for its heading and its requests, and checks it. */
  async function visit(path: string, name: string, heading?: string | RegExp) {
    await page.goto(`${gw.baseUrl}/console${path}`);
    await settle(heading);
    visited.add(new URL(page.url()).pathname.replace(/^\/console/, '') || '/');
    await check(name);
  }

  async function settle(heading?: string | RegExp) {
    if (heading) await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await page.waitForLoadState('networkidle');
    await page
      .getByText(/^Loading/)
      .first()
      .waitFor({ state: 'hidden' });
  }

  async function check(name: string) {
    try {
      await checkPage(page, `tour-${name}`);
    } catch (error) {
      failures.push((error as Error).message);
    }
  }

  async function api(path: string, init: Parameters<TestApp['api']>[1] = {}, status = [200, 201]) {
    const res = await gw.api(path, init);
    const body = await json(res);
    if (!status.includes(res.status)) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    return body as Record<string, string>; // the ids read from it
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    hubspotUrl = await hubspot.start();
    const port = await freePort();
    gw = await startTestApp({ databaseUrl: db.url, config: testConfig(db.url, sandboxEnv(port)) });
    const users = gw.app.get(UserService);
    for (const u of Object.values(USERS)) await users.create({ ...u, password: PASSWORD });
    browser = await chromium.launch({
      executablePath: await chromiumExecutable(),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    });
  });

  beforeEach(async () => {
    pageErrors.length = 0;
    failures.length = 0;
    context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
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

  it('the sign-in page, and a refused sign-in', async () => {
    await page.goto(`${gw.baseUrl}/console/`);
    await page.waitForURL(/\/console\/login/);
    await check('login');
    await page.getByLabel('Email').fill(USERS.admin.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await check('login-refused');
    expect(failures).toEqual([]);
  }, 120_000);

  it('every page of an empty gateway, as an admin on day one', async () => {
    await signIn('admin');
    await visit('/', 'empty-overview', 'Overview');
    await visit('/vendors', 'empty-vendors', 'Vendors');
    await visit('/connections', 'empty-connections', 'Connections');
    await visit('/deliveries', 'empty-deliveries', 'Deliveries');
    await visit('/relay', 'empty-relay', 'WhatsApp relay');
    await visit('/requests', 'empty-requests', 'Requests');
    await visit('/people', 'empty-person-lookup', 'Person lookup');
    await visit('/audit', 'empty-audit', 'Audit log');
    await visit('/api-keys', 'empty-api-keys', 'API keys');
    await visit('/users', 'users', 'Users');
    await visit('/settings', 'empty-settings', 'Settings');
    await visit('/activities', 'empty-activities', 'Processing activities');
    await visit('/no-such-page', 'not-found', 'Page not found');
    expect(failures).toEqual([]);
  }, 300_000);

  it('forms that refuse what was typed, with the errors shown', async () => {
    await signIn('admin');
    // A name already taken: the browser cannot know, the gateway refuses it (409) and names the field.
    await api('/v1/vendors', { method: 'POST', json: { name: 'Taken Vendor' } });
    await visit('/vendors', 'form-vendor', 'Vendors');
    const vendor = page.locator('form', { has: page.getByRole('heading', { name: 'Add a vendor' }) });
    await vendor.getByLabel('Name', { exact: true }).fill('Taken Vendor');
    await vendor.getByRole('button', { name: 'Add vendor' }).click();
    await vendor.locator('[aria-invalid="true"]').first().waitFor();
    await check('form-vendor-errors');

    await visit('/connections', 'form-connections', 'Connections');
    const hook = page.locator('form', {
      has: page.getByRole('heading', { name: 'Add a webhook processor' }),
    });
    await hook.getByLabel('Name').fill('Internal hook');
    await hook.getByLabel('Endpoint URL').fill('https://10.0.0.5/hook');
    await hook.getByRole('button', { name: 'Add webhook processor' }).click();
    await hook.locator('[aria-invalid="true"]').first().waitFor();
    await check('form-webhook-errors');

    await visit('/api-keys', 'form-api-keys', 'API keys');
    const key = page.locator('form', { has: page.getByRole('heading', { name: 'Create an API key' }) });
    await key.getByRole('button', { name: /Create/ }).click();
    await page.locator('[aria-invalid="true"]:visible, .error-summary:visible').first().waitFor();
    await check('form-api-key-errors');

    await visit('/requests', 'form-requests', 'Requests');
    const record = page.locator('form', { has: page.getByRole('heading', { name: 'Record a request' }) });
    await record.getByRole('button', { name: /Record/ }).click();
    await page.locator('[aria-invalid="true"]:visible, .error-summary:visible').first().waitFor();
    await check('form-request-errors');
    expect(failures).toEqual([]);
  }, 300_000);

  describe('with a day of work in it', () => {
    beforeAll(async () => {
      // A HubSpot portal with two of the people in it, connected by OAuth, its vendor covered by a DPA.
      const known = ['+16315550101', '+16315550102'];
      hubspot.seedContacts({
        contacts: known.map((phone, i) => ({
          firstname: `Known ${i}`,
          hs_whatsapp_phone_number: phone,
          phone,
        })),
      });
      ids.connection = await connectByOAuth(gw.api, 'hubspot', hubspotUrl, 'HubSpot marketing');
      const connection = await api(`/v1/connections/${ids.connection}`);
      await createValidDpa(gw, connection.vendor_id);
      // A vendor with a signed DPA and its document, and one without any (it needs attention).
      const acme = await api('/v1/vendors', {
        method: 'POST',
        json: { name: 'Acme Analytics', legal_name: 'Acme Analytics Ltd', country: 'IE', role: 'processor' },
      });
      ids.vendor = acme.id;
      await createValidDpa(gw, acme.id, { signed_at: '2025-03-01', expires_at: '2027-03-01' });
      await api('/v1/vendors', { method: 'POST', json: { name: 'Paper Archive GmbH', country: 'DE' } });
      await api('/v1/processing-activities', {
        method: 'POST',
        json: {
          name: 'WhatsApp marketing',
          purpose: 'Marketing messages on WhatsApp',
          legal_basis: 'consent',
        },
      });

      // People: two HubSpot knows (their change is delivered), two it does not (skipped: no record).
      const phones = [...known, '+16315550103', '+16315550104'];
      for (const [i, phone] of phones.entries()) {
        await api('/v1/consent-events', {
          method: 'POST',
          json: {
            event_id: `evt-${randomUUID()}`,
            phone,
            purpose: 'marketing',
            channel: 'whatsapp',
            status: i % 2 ? 'withdrawn' : 'granted',
            captured_at: new Date(Date.now() - (10 - i) * 60_000).toISOString(),
          },
        });
      }
      await eventually(async () => {
        const open = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM delivery WHERE status IN ('pending','in_progress','retrying')`,
        );
        const all = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM delivery`);
        return all[0].n >= phones.length && open[0].n === 0;
      });
      ids.delivery = (
        await db.query<{ id: string }>(`SELECT id FROM delivery ORDER BY created_at LIMIT 1`)
      )[0].id;
      const found = await api(`/v1/consents?phone=${encodeURIComponent(known[0])}`);
      ids.subject = found.subject_id;
      const request = await api('/v1/requests', {
        method: 'POST',
        json: { type: 'access', phone: phones[2], source: 'email' },
      });
      ids.request = request.id;
      await api('/v1/requests', {
        method: 'POST',
        json: { type: 'erasure', phone: phones[3], source: 'letter' },
      });
    }, 180_000);

    it('every page, as an admin', async () => {
      await signIn('admin');
      await visit('/', 'admin-overview', 'Overview');
      await visit('/vendors', 'admin-vendors', 'Vendors');
      await visit(`/vendors/${ids.vendor}`, 'admin-vendor', 'Acme Analytics');
      await visit('/connections', 'admin-connections', 'Connections');
      await visit(`/connections/${ids.connection}`, 'admin-connection', 'HubSpot marketing');
      await visit('/deliveries', 'admin-deliveries', 'Deliveries');
      await visit('/relay', 'admin-relay', 'WhatsApp relay');
      await visit(`/deliveries/${ids.delivery}`, 'admin-delivery', 'Delivery');
      await visit(
        `/deliveries?connection_id=${ids.connection}&status=`,
        'admin-deliveries-all',
        'Deliveries',
      );
      await visit('/requests', 'admin-requests', 'Requests');
      await visit(`/requests/${ids.request}`, 'admin-request', /request/i);
      await visit(`/people?subject_id=${ids.subject}`, 'admin-person', 'Person lookup');
      await visit('/audit', 'admin-audit', 'Audit log');
      await visit('/api-keys', 'admin-api-keys', 'API keys');
      await visit('/users', 'admin-users', 'Users');
      await visit('/settings', 'admin-settings', 'Settings');
      await visit('/activities', 'admin-activities', 'Processing activities');
      await visit('/activities/new', 'admin-activity-new', 'New processing activity');
      expect(failures).toEqual([]);
    }, 400_000);

    it('every page a DPO opens, and one their role may not', async () => {
      await signIn('dpo');
      await visit('/', 'dpo-overview', 'Overview');
      await visit('/vendors', 'dpo-vendors', 'Vendors');
      await visit(`/vendors/${ids.vendor}`, 'dpo-vendor', 'Acme Analytics');
      await visit('/requests', 'dpo-requests', 'Requests');
      await visit(`/requests/${ids.request}`, 'dpo-request', /request/i);
      await visit(`/people?subject_id=${ids.subject}`, 'dpo-person', 'Person lookup');
      await visit('/deliveries', 'dpo-deliveries', 'Deliveries');
      await visit('/audit', 'dpo-audit', 'Audit log');
      await visit('/users', 'dpo-forbidden-users', 'Users');
      await page
        .getByRole('alert')
        .filter({ hasText: /cannot open/ })
        .waitFor();
      expect(failures).toEqual([]);
    }, 400_000);

    it('every page a CRM admin opens, and one their role may not', async () => {
      await signIn('crm');
      await visit('/', 'crm-overview', 'Overview');
      await visit('/connections', 'crm-connections', 'Connections');
      await visit('/deliveries', 'crm-deliveries', 'Deliveries');
      await visit('/vendors', 'crm-vendors', 'Vendors');
      await visit('/audit', 'crm-forbidden-audit', 'Audit log');
      await page
        .getByRole('alert')
        .filter({ hasText: /cannot open/ })
        .waitFor();
      expect(failures).toEqual([]);
    }, 300_000);
  });

  // Last: every route app.js declares has been visited above (login is the one page outside ROUTES).
  it('has visited every route of console/app.js', () => {
    const missing = routes.filter((r) => ![...visited].some((path) => r.test(path)));
    expect(missing.map(String)).toEqual([]);
  });
});
