import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { UserService } from '../../src/modules/auth/user.service';
import { HubSpotSimulator } from '../../sandbox/hubspot';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, freePort, json, startTestApp, testConfig, type TestApp } from '../support/app';
import { sandboxEnv } from '../support/sandbox';
import { textWebhook } from '../support/whatsapp';
import { chromiumExecutable } from './chromium';
import { checkPage } from './page-check';

/**
 * Connections as a CRM admin works with them in the console (issue 11), in headless Chromium against the whole
 * gateway and HubSpot simulators: connect by private-app token, a second connection of one portal refused until
 * confirmed, Salesforce sign-in not set up said in place, the import run again with its progress, the mapping
 * editor refusing an unknown key, disconnecting after a confirmation, and the overview's health. A screenshot of
 * every state is saved under test-output/screenshots/connect-*.png.
 */

const PASSWORD = 'correct horse battery staple 42';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

describe('connections in the console', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  // Each simulator is a HubSpot portal of its own (its own portal id).
  const tokenPortal = new HubSpotSimulator();
  const importPortal = new HubSpotSimulator();
  const emptyPortal = new HubSpotSimulator();
  const urls = { token: '', import: '', empty: '' };

  // Every state: a screenshot, axe-core (no serious or critical violation) and Tab reachability.
  const shot = (name: string) => checkPage(page, `connect-${name}`);

  async function signIn() {
    await page.goto(`${gw.baseUrl}/console/`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel('Email').fill('cora@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }

  async function openConnections() {
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Connections' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
  }

  /** Fills the private-app token form and sends it. */
  async function connectByToken(name: string, apiHost: string) {
    const form = page.locator('form', {
      has: page.getByRole('heading', { name: 'HubSpot private-app token' }),
    });
    await form.getByLabel('Connection name').fill(name);
    await form.getByLabel('Access token').fill('pat-na1-sandbox');
    await form.getByText('Sandbox host (optional)').click();
    await form.getByLabel('API host').fill(apiHost);
    await form.getByRole('button', { name: 'Connect with the token' }).click();
    return form;
  }

  /** A connection made through the API, for tests that start on its page. */
  async function apiConnection(name: string, baseUrl: string): Promise<string> {
    const res = await gw.api('/v1/connections', {
      method: 'POST',
      json: { type: 'hubspot', name, base_url: baseUrl, credentials: { access_token: 'pat-na1-sandbox' } },
    });
    expect(res.status).toBe(201);
    return ((await json(res)) as { id: string }).id;
  }

  const latestRun = async (id: string) =>
    ((await json(await gw.api(`/v1/connections/${id}/backfill`))) as { backfill: { status: string } | null })
      .backfill;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase();
    [urls.token, urls.import, urls.empty] = await Promise.all([
      tokenPortal.start(),
      importPortal.start(),
      emptyPortal.start(),
    ]);
    const port = await freePort();
    // HubSpot's OAuth app is configured; Salesforce's is not.
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(
        db.url,
        sandboxEnv(port, { SALESFORCE_CLIENT_ID: '', SALESFORCE_CLIENT_SECRET: '' }),
      ),
    });
    await gw.app
      .get(UserService)
      .create({ email: 'cora@example.com', name: 'Cora CRM', role: 'crm_admin', password: PASSWORD });
    browser = await chromium.launch({
      executablePath: await chromiumExecutable(),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
  });

  beforeEach(async () => {
    pageErrors.length = 0;
    context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
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
    await Promise.all([tokenPortal.stop(), importPortal.stop(), emptyPortal.stop()]);
    await db?.drop();
  });

  it('connects HubSpot with a private-app token', async () => {
    await openConnections();
    await shot('01-connections');
    await connectByToken('Token portal', urls.token);
    await page.waitForURL(/\/console\/connections\?connected=/);
    const portalId = String(tokenPortal.portal().portalId);
    await page
      .getByRole('status')
      .filter({ hasText: `Connected Token portal (HubSpot, account ${portalId})` })
      .waitFor();
    const id = new URL(page.url()).searchParams.get('connected')!;
    await page.locator(`[data-connection="${id}"]`).getByText(portalId, { exact: true }).waitFor();
    await shot('02-connected-by-token');
  });

  it('refuses a second connection of the same portal until the admin confirms it', async () => {
    await openConnections();
    const form = await connectByToken('Token portal again', urls.token);
    const question = form
      .getByRole('alert')
      .filter({ hasText: 'This HubSpot portal is already connected as' });
    await question.waitFor();
    await question.getByRole('link', { name: '“Token portal”' }).waitFor();
    await shot('03-duplicate-refused');
    // Nothing was stored by the refused attempt.
    const names = async () =>
      ((await json(await gw.api('/v1/connections'))).connections as { name: string }[]).map((c) => c.name);
    expect(await names()).not.toContain('Token portal again');

    await question.getByRole('button', { name: 'Connect it a second time' }).click();
    await page.waitForURL(/\/console\/connections\?connected=/);
    await page.getByRole('status').filter({ hasText: 'Connected Token portal again' }).waitFor();
    await shot('04-duplicate-confirmed');
    expect(await names()).toContain('Token portal again');
  });

  it('asks the same through the OAuth flow, and connects on confirmation', async () => {
    await openConnections();
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Connect HubSpot' }) });
    await form.getByLabel('Connection name').fill('Token portal by OAuth');
    await form.getByText('Sandbox host (optional)').click();
    await form.getByLabel('API host').fill(urls.token);
    await form.getByRole('button', { name: 'Connect HubSpot' }).click();
    await page.waitForURL(/\/console\/connections\?duplicate_of=/);
    const question = page
      .getByRole('alert')
      .filter({ hasText: 'This HubSpot portal is already connected as' });
    await question.waitFor();
    await shot('05-duplicate-after-oauth');
    await question.getByRole('button', { name: 'Connect it a second time' }).click();
    await page.waitForURL(/\/console\/connections\?connected=/);
    await page.getByRole('status').filter({ hasText: 'Connected Token portal by OAuth' }).waitFor();
  });

  it('says in place that signing in with Salesforce is not set up, and what to set', async () => {
    await openConnections();
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Connect Salesforce' }) });
    await card.getByText('Signing in with Salesforce is not set up on this gateway.').waitFor();
    await card.getByText('SALESFORCE_CLIENT_ID', { exact: true }).waitFor();
    await card.getByText('SALESFORCE_CLIENT_SECRET', { exact: true }).waitFor();
    await card.getByText(/\/v1\/connections\/oauth\/salesforce\/callback$/).waitFor();
    // No button that would send the browser to a refusal.
    expect(await card.getByRole('button', { name: 'Connect Salesforce' }).count()).toBe(0);
    await card.scrollIntoViewIfNeeded();
    await shot('06-salesforce-oauth-not-configured');
  });

  it('runs the import again and shows its progress to completion', async () => {
    importPortal.seedContacts({
      contacts: Array.from({ length: 250 }, (_, i) => ({
        firstname: `I${i}`,
        phone: `+4915112${400000 + i}`,
      })),
    });
    const id = await apiConnection('Import portal', urls.import);
    await eventually(async () => (await latestRun(id))?.status === 'completed', 60_000);
    // Slow the portal down, so that the run is seen going, and is still going while the page is checked (a
    // run ending during the check's Tab walk changes which buttons can take focus under it).
    importPortal.state.latencyMs = 1500;
    await page.goto(`${gw.baseUrl}/console/connections/${id}`);
    await page.getByRole('heading', { level: 1, name: 'Import portal' }).waitFor();
    const section = page.locator('section', {
      has: page.getByRole('heading', { name: 'Import of existing records' }),
    });
    await section.getByText('250 of 250 contacts read').waitFor();

    await section.getByRole('button', { name: 'Run the import again' }).click();
    await section.getByText('Running').waitFor();
    await shot('07-import-running');
    await section.getByText('Finished').waitFor({ timeout: 60_000 });
    await section.getByText('250 of 250 contacts read').waitFor();
    const bar = section.getByRole('progressbar', { name: 'Import progress' });
    expect(await bar.getAttribute('value')).toBe('250');
    expect(await bar.getAttribute('max')).toBe('250');
    await shot('08-import-finished');
    importPortal.state.latencyMs = 0;
  });

  it('refuses an unknown key in the mapping editor, next to the editor', async () => {
    const id = await apiConnection('Mapping portal', urls.empty);
    await page.goto(`${gw.baseUrl}/console/connections/${id}`);
    await page.getByRole('heading', { level: 1, name: 'Mapping portal' }).waitFor();
    const editor = page.getByLabel('Field mapping (JSON)');
    const before = await editor.inputValue();
    await editor.fill(JSON.stringify({ phoneProprties: ['mobilephone'] }, null, 2));
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('"phoneProprties" is not a setting of a HubSpot connection').waitFor();
    expect(await editor.getAttribute('aria-invalid')).toBe('true');
    await shot('09-mapping-unknown-key');
    // Nothing changed at the gateway.
    const mapping = ((await json(await gw.api(`/v1/connections/${id}`))) as { mapping: unknown }).mapping;
    expect(mapping).toEqual(JSON.parse(before));
    await gw.api(`/v1/connections/${id}`, { method: 'DELETE' });
  });

  it('disconnects a connection after asking for confirmation', async () => {
    // A portal of its own: one portal is connected once (the others are taken by the tests above).
    const leaving = new HubSpotSimulator();
    const id = await apiConnection('Leaving portal', await leaving.start());
    await page.goto(`${gw.baseUrl}/console/connections/${id}`);
    await page.getByRole('heading', { level: 1, name: 'Leaving portal' }).waitFor();
    await page.getByRole('button', { name: 'Disconnect…' }).click();
    const question = page.getByRole('group', { name: 'Disconnect Leaving portal?' });
    await question.waitFor();
    await shot('10-disconnect-confirm');
    // Keeping it changes nothing.
    await question.getByRole('button', { name: 'Keep it connected' }).click();
    expect(((await json(await gw.api(`/v1/connections/${id}`))) as { status: string }).status).toBe('active');

    await page.getByRole('button', { name: 'Disconnect…' }).click();
    await question.getByRole('button', { name: 'Disconnect Leaving portal' }).click();
    await page.getByText('Disconnected', { exact: true }).first().waitFor();
    await shot('11-disconnected');
    expect(((await json(await gw.api(`/v1/connections/${id}`))) as { status: string }).status).toBe(
      'disconnected',
    );
    await leaving.stop();
  });

  it("shows a webhook processor's endpoint URL on its page", async () => {
    const res = await gw.api('/v1/connections', {
      method: 'POST',
      json: { type: 'webhook', name: 'Mailer', credentials: { url: 'http://127.0.0.1:9/hooks/consent' } },
    });
    const { id } = (await json(res)) as { id: string };
    await page.goto(`${gw.baseUrl}/console/connections/${id}`);
    await page.getByRole('heading', { level: 1, name: 'Mailer' }).waitFor();
    await page.getByText('http://127.0.0.1:9/hooks/consent', { exact: true }).waitFor();
    await shot('12-webhook-endpoint');
    await gw.api(`/v1/connections/${id}`, { method: 'DELETE' });
  });

  it('shows a connection whose deliveries mostly skip as not healthy on the overview', async () => {
    // A portal that holds none of the people who type STOP: their withdrawals are skipped as not found.
    const id = await apiConnection('Empty portal', urls.empty);
    for (const [i, from] of ['4915112350001', '4915112350002', '4915112350003'].entries()) {
      const res = await gw.postWebhook(
        textWebhook({ wamid: `wamid.CONNECT${i}`, from, timestamp: Math.floor(Date.now() / 1000) }),
      );
      expect(res.status).toBe(200);
    }
    await eventually(async () => {
      const rows = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM delivery WHERE connection_id = $1 AND status = 'skipped'`,
        [id],
      );
      return rows[0].n === 3;
    }, 60_000);
    await page.goto(`${gw.baseUrl}/console/`);
    const row = page.locator(`tr[data-connection="${id}"]`);
    await row.getByText('3 of 3 deliveries skipped: no matching record at HubSpot.').waitFor();
    expect(await row.getAttribute('data-health')).toBe('warning');
    await row.getByText('Needs a look').waitFor();
    expect(await row.getByText('Healthy', { exact: true }).count()).toBe(0);
    await row.scrollIntoViewIfNeeded();
    await shot('13-overview-health');
  });
});
