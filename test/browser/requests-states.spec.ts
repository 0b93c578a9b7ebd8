import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Route } from 'playwright-core';
import { UserService } from '../../src/modules/auth/user.service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestApp, type TestApp } from '../support/app';
import { chromiumExecutable } from './chromium';
import {
  OVERDUE_ID,
  overdue,
  PAUSED_ID,
  paused,
  requestSummary,
  retention,
  TASK_ID,
  WAITING_ID,
  waiting,
  waitingView,
} from './requests-fixtures';

/**
 * The requests pages in a real Chromium for the states the real gateway reaches only slowly or not on
 * demand (a processor without a DPA, a confirmation that timed out, retention erasures within 90 days, a
 * second page of the inbox). The console's own files, the sign-in and the session are the real gateway's;
 * the requests API answers, at the browser's network layer, with the shapes of the contract
 * (test/browser/requests-fixtures.ts). The flows against the real requests API are in requests.spec.ts.
 */

const PASSWORD = 'correct horse battery staple 42';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

describe('the requests console in a browser, in states the contract describes', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  /** What the mocked API was asked: method, path with query, body. */
  const calls: { method: string; url: string; body: unknown }[] = [];

  const shot = (step: string) => page.screenshot({ path: join(SCREENSHOTS, `${step}.png`), fullPage: true });

  const fulfil = (route: Route, body: unknown, status = 200) =>
    route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });

  /** The requests API as the contract shapes it. */
  async function mockRequestsApi(target: Page) {
    await target.route('**/v1/requests**', async (route) => {
      const req = route.request();
      const url = new URL(req.url());
      calls.push({ method: req.method(), url: url.pathname + url.search, body: req.postDataJSON() });
      if (url.pathname === '/v1/requests/summary') return fulfil(route, requestSummary);
      if (url.pathname === '/v1/requests' && req.method() === 'POST') {
        const body = req.postDataJSON() as { changes?: { phone?: string } };
        if (body.changes?.phone === 'not a number') {
          return fulfil(
            route,
            {
              type: 'about:blank',
              title: 'Unprocessable Entity',
              status: 422,
              detail: 'The request is not valid.',
              errors: [{ field: 'changes.phone', message: 'is not a valid phone number' }],
            },
            422,
          );
        }
        return fulfil(route, { ...waitingView, type: 'rectification', status: 'identity_verification' }, 201);
      }
      if (url.pathname === '/v1/requests') {
        const q = url.searchParams;
        const items = [waiting, overdue, paused].filter(
          (r) =>
            (!q.has('overdue') || String(r.overdue) === q.get('overdue')) &&
            (!q.has('status') || r.status === q.get('status')) &&
            (!q.has('type') || r.type === q.get('type')) &&
            (!q.has('due_before') || r.due_at < q.get('due_before')!),
        );
        return fulfil(route, { items, next_cursor: null });
      }
      if (url.pathname === `/v1/requests/${WAITING_ID}/tasks/${TASK_ID}/complete`) {
        const processors = waitingView.processors.map((p) =>
          p.task_id === TASK_ID ? { ...p, status: 'completed', completed_at: new Date().toISOString() } : p,
        );
        return fulfil(route, { ...waitingView, processors });
      }
      if (url.pathname === `/v1/requests/${WAITING_ID}`) return fulfil(route, waitingView);
      return fulfil(route, { status: 404, title: 'Not Found', detail: 'No such request.' }, 404);
    });
    await target.route('**/v1/retention/upcoming**', (route) => fulfil(route, retention));
  }

  async function signIn(target: Page) {
    await target.goto(`${gw.baseUrl}/console/`);
    await target.waitForURL(/\/console\/login/);
    await target.getByLabel('Email').fill('dana@example.com');
    await target.getByLabel('Password').fill(PASSWORD);
    await target.getByRole('button', { name: 'Sign in' }).click();
    await target.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
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
    calls.length = 0;
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy|Refused/i.test(message.text())) {
        pageErrors.push(message.text());
      }
    });
    await mockRequestsApi(page);
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

  it('shows each request with its deadline in words', async () => {
    await signIn(page);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Requests' }).click();
    await page.getByRole('heading', { level: 1, name: 'Requests' }).waitFor();
    const rowOf = (id: string) => page.locator(`tr[data-request="${id}"]`);
    await rowOf(WAITING_ID).getByText('due in 12 days').waitFor();
    await rowOf(OVERDUE_ID).getByText('overdue by 3 days').waitFor();
    await rowOf(PAUSED_ID).getByText('clock paused (due in 29 days)').waitFor();
    expect(await rowOf(OVERDUE_ID).getByText('j•••@example.com').count()).toBe(1);
    await shot('requests-01-inbox');
  });

  it('asks the API for overdue requests when the overdue filter is chosen', async () => {
    await signIn(page);
    await page.goto(`${gw.baseUrl}/console/requests`);
    await page.getByRole('heading', { level: 1, name: 'Requests' }).waitFor();
    await page.getByRole('form', { name: 'Filter requests' }).getByLabel('Show').selectOption('overdue');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/console\/requests\?view=overdue/);
    await page.getByRole('table', { name: /Overdue \(1\)/ }).waitFor();
    expect(calls.some((c) => c.method === 'GET' && /^\/v1\/requests\?.*overdue=true/.test(c.url))).toBe(true);
    expect(await page.locator(`tr[data-request="${WAITING_ID}"]`).count()).toBe(0);
  });

  it('pages through a long inbox with the cursor the API gave', async () => {
    // Registered last, so it answers the list before the general mock does.
    await page.route(/\/v1\/requests\?/, (route) => {
      const cursor = new URL(route.request().url()).searchParams.get('cursor');
      calls.push({ method: 'GET', url: new URL(route.request().url()).search, body: null });
      return cursor === 'page-2'
        ? fulfil(route, { items: [paused], next_cursor: null })
        : fulfil(route, { items: [waiting, overdue], next_cursor: 'page-2' });
    });
    await signIn(page);
    await page.goto(`${gw.baseUrl}/console/requests?type=erasure`);
    await page.getByRole('table', { name: 'All requests, Erasure (2+)' }).waitFor();
    await page.getByRole('button', { name: 'Show more' }).click();
    await page.getByRole('table', { name: 'All requests, Erasure (3)' }).waitFor();
    await page.locator(`tr[data-request="${PAUSED_ID}"]`).waitFor();
    expect(await page.getByRole('button', { name: 'Show more' }).count()).toBe(0);
    const second = calls.find((c) => c.url.includes('cursor='))!;
    expect(Object.fromEntries(new URLSearchParams(second.url))).toEqual({
      limit: '50',
      type: 'erasure',
      cursor: 'page-2',
    });
  });

  it('shows flags of a processor and completes a manual task with its evidence', async () => {
    await signIn(page);
    await page.goto(`${gw.baseUrl}/console/requests/${WAITING_ID}`);
    await page.getByRole('heading', { level: 1, name: 'Erasure request' }).waitFor();
    const acme = page.locator('tr', { hasText: 'Acme processor' });
    await acme.getByText('No valid DPA: sent anyway').waitFor();
    await acme.getByText('Acknowledged, not confirmed').waitFor();
    const task = page.getByRole('form', { name: 'Manual task: Paper archive' });
    await task.getByLabel('Evidence').fill('Shredded the paper file on 3 December; certificate no. 77.');
    await task.getByLabel('Reference (optional)').fill('TICKET-77');
    await shot('requests-02-manual-task');
    await task.getByRole('button', { name: 'Complete with evidence' }).click();
    await page.getByRole('status').filter({ hasText: 'Manual task at Paper archive completed' }).waitFor();
    expect(await page.getByRole('form', { name: 'Manual task: Paper archive' }).count()).toBe(0);
    expect(calls.find((c) => c.method === 'POST')).toEqual({
      method: 'POST',
      url: `/v1/requests/${WAITING_ID}/tasks/${TASK_ID}/complete`,
      body: {
        evidence: 'Shredded the paper file on 3 December; certificate no. 77.',
        reference: 'TICKET-77',
      },
    });
  });

  it('fits the request page to a phone-sized screen, wide tables scrolling in their own box', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page);
    await page.goto(`${gw.baseUrl}/console/requests/${WAITING_ID}`);
    await page.getByRole('heading', { level: 1, name: 'Erasure request' }).waitFor();
    await page.getByRole('form', { name: 'Manual task: Paper archive' }).waitFor();
    type Root = { document: { documentElement: { scrollWidth: number; clientWidth: number } } };
    const widths = await page.evaluate(() => {
      const root = (globalThis as unknown as Root).document.documentElement;
      return { page: root.scrollWidth, viewport: root.clientWidth };
    });
    expect(widths.page).toBeLessThanOrEqual(widths.viewport);
    await shot('requests-04-phone');
  });

  it('sends a rectification with its corrected identifiers and shows a refusal next to the field', async () => {
    await signIn(page);
    await page.goto(`${gw.baseUrl}/console/requests`);
    const form = page.getByRole('form', { name: 'Record a request' });
    await form.getByLabel('Type of request').selectOption('rectification');
    await form.getByLabel('Identify the person by').selectOption('email');
    await form.getByLabel('Phone, email or subject id').fill('jo@example.com');
    await form.getByLabel('Received through').fill('email');
    await form.getByLabel('Corrected phone').fill('not a number');
    expect(await form.getByLabel(/Lift an existing restriction/).isVisible()).toBe(false);
    await form.getByRole('button', { name: 'Record request' }).click();
    const phone = form.getByLabel('Corrected phone');
    await phone.and(page.locator('[aria-invalid="true"]')).waitFor();
    await form.getByText('is not a valid phone number').waitFor();

    await phone.fill('+49 1511 2345678');
    await form.getByLabel('Corrected email').fill('jo.new@example.com');
    await form.getByRole('button', { name: 'Record request' }).click();
    await page.waitForURL(new RegExp(`/console/requests/${WAITING_ID}$`));
    const posted = calls.filter((c) => c.method === 'POST').map((c) => c.body as Record<string, unknown>);
    expect(posted[1]).toMatchObject({
      type: 'rectification',
      email: 'jo@example.com',
      source: 'email',
      changes: { phone: '+49 1511 2345678', email: 'jo.new@example.com' },
    });
    expect(Date.now() - Date.parse(posted[1].received_at as string)).toBeLessThan(60_000);
    expect(posted[1]).not.toHaveProperty('verification');
    expect(posted[1]).not.toHaveProperty('lift');
  });

  it('sends lift for a request to end a restriction', async () => {
    await signIn(page);
    await page.goto(`${gw.baseUrl}/console/requests`);
    const form = page.getByRole('form', { name: 'Record a request' });
    await form.getByLabel('Type of request').selectOption('restriction');
    await form.getByLabel('Phone, email or subject id').fill('+49 1511 2345678');
    await form.getByLabel(/Lift an existing restriction/).check();
    await form.getByLabel('Verified by').fill('phone_callback');
    await form.getByRole('button', { name: 'Record request' }).click();
    await page.waitForURL(new RegExp(`/console/requests/${WAITING_ID}$`));
    expect(calls.find((c) => c.method === 'POST')?.body).toMatchObject({
      type: 'restriction',
      phone: '+49 1511 2345678',
      lift: true,
      verification: { method: 'phone_callback' },
    });
  });

  it('shows the requests due and the retention erasures coming up on the overview', async () => {
    await signIn(page);
    const requests = page.getByRole('region', { name: /Data-subject requests/ });
    await requests
      .getByRole('group', { name: /Overdue/ })
      .getByRole('link', { name: /Access 1c7d2b63/ })
      .waitFor();
    await requests.getByText('1 waiting for identity verification').waitFor();
    const retentionPanel = page.getByRole('region', { name: 'Retention: to be erased when' });
    await retentionPanel.getByRole('row', { name: /\+44 ••• ••• 123/ }).waitFor();
    await retentionPanel.getByText(/no activity for 24 months/).waitFor();
    await shot('requests-03-overview');
  });
});
