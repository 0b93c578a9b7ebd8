import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { UserService } from '../../src/modules/auth/user.service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { json, startTestApp, type TestApp } from '../support/app';
import { chromiumExecutable } from './chromium';
import { checkPage } from './page-check';

/**
 * The admin's and DPO's daily work in a real headless Chromium (issue 11): the audit log filtered by
 * outcome and exported, users invited, re-roled, disabled and unlocked, API keys with an expiry, the
 * controller's details, and validation errors in plain words. A screenshot of every page and state is saved
 * under test-output/screenshots/ (audit-*.png).
 */

const PASSWORD = 'correct horse battery staple 42';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

describe('the console for users, keys, settings and the audit log', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  // The lead wires in the shared accessibility check (test/browser/page-check.ts) here.
  // Every state: a screenshot, axe-core (no serious or critical violation) and Tab reachability.
  const shot = (step: string) => checkPage(page, `audit-${step}`);

  async function signIn(email: string) {
    await page.goto(`${gw.baseUrl}/console/`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }

  /** A sign-in through the API: the status, and the session cookie and CSRF token when it succeeded. */
  async function apiSignIn(email: string, password = PASSWORD) {
    const res = await gw.api('/console/api/session', {
      key: null,
      method: 'POST',
      json: { email, password },
    });
    const body = await json(res);
    return {
      status: res.status,
      cookie: (res.headers.get('set-cookie') ?? '').split(';')[0],
      csrf: body.csrf_token,
    };
  }

  async function open(path: string, heading: string) {
    await page.goto(`${gw.baseUrl}/console${path}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
    const users = gw.app.get(UserService);
    await users.create({ email: 'ada@example.com', name: 'Ada Admin', role: 'admin', password: PASSWORD });
    await users.create({ email: 'vic@example.com', name: 'Vic Viewer', role: 'viewer', password: PASSWORD });
    await users.create({ email: 'lee@example.com', name: 'Lee Locked', role: 'dpo', password: PASSWORD });
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

  it('shows a failed sign-in and a refused action as failures, and the outcome filter shows only them', async () => {
    expect((await apiSignIn('ada@example.com', 'not the password at all')).status).toBe(401);
    const viewer = await apiSignIn('vic@example.com');
    const refused = await gw.api('/v1/vendors', {
      method: 'POST',
      key: null,
      json: { name: 'Sneaky Ltd' },
      headers: { cookie: viewer.cookie, 'x-csrf-token': viewer.csrf },
    });
    expect(refused.status).toBe(403);
    expect((await gw.api('/v1/vendors', { method: 'POST', json: { name: 'Acme Mail' } })).status).toBe(201);

    await signIn('ada@example.com');
    await open('/audit', 'Audit log');
    const table = page.getByRole('table', { name: /Audit entries/ });
    await table.getByText('Added vendor Acme Mail').waitFor();
    await shot('log');
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/outcome=failure/);
    await table.getByText('Refused: not allowed (403)').waitFor();
    const rows = table.locator('tbody tr');
    const texts = await rows.allTextContents();
    expect(
      texts.some(
        (t) =>
          t.includes('Tried to sign in') &&
          t.includes('ada@example.com') &&
          t.includes('Refused: wrong password'),
      ),
    ).toBe(true);
    expect(texts.some((t) => t.includes('Added vendor') && t.includes('vic@example.com'))).toBe(true);
    // Only failures: nothing that succeeded, such as the vendor Ada's key added.
    expect(texts.every((t) => /Refused|Failed/.test(t))).toBe(true);
    expect(texts.join('\n')).not.toContain('Acme Mail');
    expect(texts.join('\n')).not.toMatch(/POST \/v1/);
    await shot('log-failures');
  });

  it('downloads the filtered audit log as CSV', async () => {
    await signIn('ada@example.com');
    await open('/audit?outcome=failure', 'Audit log');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-log-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = readFileSync(await download.path(), 'utf8');
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toBe('when,who,actor_type,action,outcome,status,target,from,entry');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => /,(Refused|Failed)[^,]*,/.test(l))).toBe(true);
    await shot('log-csv');
  });

  it('unlocks a user locked by wrong passwords, who then signs in', async () => {
    for (let i = 0; i < 5; i++)
      expect((await apiSignIn('lee@example.com', `wrong guess ${i}`)).status).toBe(401);
    expect((await apiSignIn('lee@example.com')).status).toBe(401);
    await signIn('ada@example.com');
    await open('/users', 'Users');
    const row = page.getByRole('row', { name: /Lee Locked/ });
    await row.getByText(/Locked for 1[45] more minutes/).waitFor();
    await shot('users-locked');
    await row.getByRole('button', { name: 'Unlock Lee Locked' }).click();
    await page.getByText('Lee Locked can sign in again.').waitFor();
    await page
      .getByRole('row', { name: /Lee Locked/ })
      .getByText('Active')
      .waitFor();
    await shot('users-unlocked');
    expect((await apiSignIn('lee@example.com')).status).toBe(200);
  });

  it('invites a user, changes their role and disables them, which ends their session', async () => {
    await signIn('ada@example.com');
    await open('/users', 'Users');
    await page.getByRole('button', { name: 'Invite' }).click();
    // Plain words for what the API refuses.
    await page
      .getByText('Name: is required')
      .or(page.locator('.field-error', { hasText: 'is required' }))
      .first()
      .waitFor();
    expect(await page.locator('form').textContent()).not.toContain('longer than or equal');
    await shot('users-invite-errors');
    await page.getByLabel('Name', { exact: true }).fill('Nia New');
    await page.getByLabel('Email', { exact: true }).fill('nia@example.com');
    await page.getByLabel('Role', { exact: true }).selectOption('crm_admin');
    await page.getByRole('button', { name: 'Invite' }).click();
    const secret = page.getByTestId('temporary-password');
    await secret.waitFor();
    const temporary = (await secret.textContent())!.trim();
    await shot('users-invited');
    const nia = await apiSignIn('nia@example.com', temporary);
    expect(nia.status).toBe(200);

    await page.getByRole('button', { name: 'Done, I have handed it over' }).click();
    const row = page.getByRole('row', { name: /Nia New/ });
    await row.getByLabel('Role of Nia New').selectOption('dpo');
    await page.getByText('Nia New is now DPO.').waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page
      .getByRole('row', { name: /Nia New/ })
      .getByRole('button', { name: 'Disable Nia New' })
      .click();
    await page.getByText('Nia New is disabled and signed out.').waitFor();
    await page
      .getByRole('row', { name: /Nia New/ })
      .getByText('Disabled')
      .waitFor();
    await shot('users-disabled');
    const after = await gw.api('/v1/overview', { key: null, headers: { cookie: nia.cookie } });
    expect(after.status).toBe(401);
    const listed = (await json(await gw.api('/v1/users'))).users.find(
      (u: { email: string }) => u.email === 'nia@example.com',
    );
    expect(listed).toMatchObject({ role: 'dpo', disabled: true });
  });

  it('creates an API key with an expiry and shows keys that have expired', async () => {
    const short = await gw.api('/v1/api-keys', {
      method: 'POST',
      json: {
        name: 'trial zap',
        scopes: ['overview:read'],
        expires_at: new Date(Date.now() + 1_000).toISOString(),
      },
    });
    expect(short.status).toBe(201);
    await new Promise((r) => setTimeout(r, 1_200));
    await signIn('ada@example.com');
    await open('/api-keys', 'API keys');
    await page
      .getByRole('row', { name: /trial zap/ })
      .getByText(/Expired/)
      .waitFor();
    const inAMonth = new Date(Date.now() + 30 * 86_400_000);
    const pad = (n: number) => String(n).padStart(2, '0');
    await page.getByLabel('Name').fill('zapier production');
    await page
      .getByLabel('Expires on (optional)')
      .fill(`${inAMonth.getFullYear()}-${pad(inAMonth.getMonth() + 1)}-${pad(inAMonth.getDate())}`);
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByTestId('new-key').waitFor();
    await page.getByRole('button', { name: 'Done, I have saved it' }).click();
    const row = page.getByRole('row', { name: /zapier production/ });
    await row.getByText(/until .* \(in (29|30|31) days\)/).waitFor();
    await shot('api-keys-expiry');
  });

  it('fills in the controller on the settings page, and the overview warning goes away', async () => {
    await signIn('ada@example.com');
    await page.getByTestId('controller-warning').waitFor();
    await shot('overview-controller-warning');
    await page.getByRole('link', { name: 'Fill in the controller details' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await shot('settings-empty');
    await page.getByLabel('Email').fill('not an email');
    await page.getByRole('button', { name: 'Save controller details' }).click();
    const form = page.locator('form');
    await form.getByText('must be an email address').waitFor();
    await form.getByText('is required').first().waitFor();
    const shown = (await form.textContent()) ?? '';
    expect(shown).not.toMatch(/longer than or equal|must be an email$|privacy_policy_url|\bname must\b/);
    await shot('settings-errors');
    await page.getByLabel('Controller name').fill('Acme Retail GmbH');
    await page.getByLabel('Contact').fill('Data Protection Officer, Jo Smith');
    await page.getByLabel('Email').fill('privacy@acme-retail.de');
    await page.getByLabel('Postal address').fill('Hauptstraße 1, 10115 Berlin');
    await page.getByLabel('Privacy policy URL').fill('https://acme-retail.de/privacy');
    await page.getByRole('button', { name: 'Save controller details' }).click();
    await page.getByText('Receipts and exports name this controller.').waitFor();
    await shot('settings-saved');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByText('Consents granted').waitFor();
    expect(await page.getByTestId('controller-warning').count()).toBe(0);
    await shot('overview-no-warning');
  });
});
