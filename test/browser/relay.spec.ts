import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { UserService } from '../../src/modules/auth/user.service';
import { RelayWorker } from '../../src/modules/relay/relay.worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, json, startTestApp, TEST_APP_SECRET, testConfig, type TestApp } from '../support/app';
import { RelayTarget } from '../support/relay-target';
import { textWebhook } from '../support/whatsapp';
import { chromiumExecutable } from './chromium';
import { checkPage } from './page-check';

/**
 * The WhatsApp relay page in a real headless Chromium (issue 12): the destination's figures and its dead
 * deliveries, one replayed with its button, then the rest at once. The integration answers 503 throughout and the
 * relay loop is stopped once the rows exist, so the outcomes are set in the database on purpose.
 */

const PASSWORD = 'correct horse battery staple 42';

describe('the WhatsApp relay in the console', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const target = new RelayTarget(TEST_APP_SECRET);
  const pageErrors: string[] = [];

  const shot = (step: string) => checkPage(page, `relay-${step}`);
  const deadRows = () => page.locator('table.relay-dead tbody tr');

  beforeAll(async () => {
    await target.start();
    await target.set('unavailable');
    db = await createTestDatabase();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, {
        WHATSAPP_FORWARD_URLS: target.url,
        OUTBOUND_ALLOWLIST: `127.0.0.1:${target.port}`,
      }),
    });
    await gw.app
      .get(UserService)
      .create({ email: 'dana@example.com', name: 'Dana Admin', role: 'admin', password: PASSWORD });
    for (const [i, from] of ['4915112345101', '4915112345102', '4915112345103', '4915112345104'].entries()) {
      expect(
        (await gw.postWebhook(textWebhook({ wamid: `wamid.C${i}`, from, body: i ? 'hello' : 'STOP' })))
          .status,
      ).toBe(200);
    }
    await eventually(async () => (await db.query(`SELECT 1 FROM relay_delivery`)).length === 4);
    await gw.app.get(RelayWorker).onModuleDestroy();
    await db.query(
      `UPDATE relay_delivery SET status = 'dead', attempts = 31, dead_at = now(), last_status = 503,
              last_error = 'receiver answered 503' WHERE seq IN (SELECT seq FROM relay_delivery ORDER BY seq LIMIT 2)`,
    );
    await db.query(
      `UPDATE relay_delivery SET attempts = 3, last_status = 503, last_error = 'receiver answered 503'
        WHERE seq = (SELECT seq FROM relay_delivery ORDER BY seq OFFSET 2 LIMIT 1)`,
    );
    await db.query(
      `UPDATE relay_delivery SET status = 'delivered', attempts = 1, delivered_at = now()
        WHERE seq = (SELECT max(seq) FROM relay_delivery)`,
    );
    browser = await chromium.launch({
      executablePath: await chromiumExecutable(),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-component-update'],
    });
  });

  beforeEach(async () => {
    pageErrors.length = 0;
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy|Refused/i.test(message.text()))
        pageErrors.push(message.text());
    });
    await page.goto(`${gw.baseUrl}/console/`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel('Email').fill('dana@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  });

  afterEach(async () => {
    await context?.close();
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await db?.drop();
    await target.stop();
  });

  it('shows the destination’s figures and its dead deliveries, and replays one, then all', async () => {
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'WhatsApp relay' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'WhatsApp relay' }).waitFor();
    await page.locator('table.relay-dead').waitFor();
    const destinations = page.locator('table.relay-destinations tbody tr');
    await expect(destinations.count()).resolves.toBe(1);
    const figures = (await destinations.first().locator('th, td').allTextContents()).slice(0, 5);
    expect(figures).toEqual([target.url, '1', '1', '1', '2']);
    await expect(deadRows().count()).resolves.toBe(2);
    await deadRows().getByText('Withdrawn').waitFor();
    await deadRows().getByText('receiver answered 503').first().waitFor();
    expect(await page.content()).not.toContain('4915112345101');
    await shot('01-dead');

    await deadRows()
      .first()
      .getByRole('button', { name: /^Replay the delivery received/ })
      .click();
    await page.getByText('Queued to be sent again.').waitFor();
    await eventually(async () => (await deadRows().count()) === 1);
    const { items } = await json(await gw.api('/v1/relay/deliveries?status=pending'));
    expect(items).toHaveLength(2);
    await shot('02-one-replayed');

    await page.getByRole('button', { name: `Replay all 1 dead deliveries to ${target.url}` }).click();
    await page.locator('table.relay-dead').getByText('Nothing here yet.').waitFor();
    const after = await json(await gw.api('/v1/relay/destinations'));
    expect(after.items[0]).toMatchObject({ dead: 0, pending: 3, forwarded: 1 });
    await shot('03-all-replayed');
  });
});
