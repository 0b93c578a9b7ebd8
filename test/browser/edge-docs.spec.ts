import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestApp, type TestApp } from '../support/app';
import { chromiumExecutable } from './chromium';

/**
 * /docs runs under its own Content-Security-Policy (src/platform/http/security-headers.ts): Swagger UI must
 * still render every operation, with no violation reported, and the page must refuse to be framed by another site (clickjacking).
 */
describe('Swagger UI under its Content-Security-Policy', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url, roles: { api: true, worker: false } });
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

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await db?.drop();
  });

  it('renders the operations without a CSP violation or a script error', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${gw.baseUrl}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });

  it('cannot be framed by another site', async () => {
    // A page of another origin (another port) that frames /docs, as a clickjacking page would.
    const framer = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<iframe src="${gw.baseUrl}/docs"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    try {
      const page = await browser.newPage();
      const { port } = framer.address() as AddressInfo;
      // goto waits for the load event, which waits for the frame.
      await page.goto(`http://localhost:${port}/`, { waitUntil: 'load' });
      const [frame] = page.mainFrame().childFrames();
      // Chromium replaces a refused frame by its own error page.
      expect(frame.url()).not.toMatch(/^http:/);
      expect(await frame.locator('#swagger-ui').count()).toBe(0);
    } finally {
      framer.close();
    }
  });
});
