import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumExecutable } from './chromium';
import { checkPage, SCREENSHOTS } from './page-check';

/**
 * The accessibility check the console's browser tests rely on, held to pages built to pass and to fail
 * it: if it stopped failing, every page "passing" it would mean nothing.
 */

const STYLE = `<style>
  :focus-visible { outline: 3px solid #ffbf47; }
  .no-ring:focus-visible { outline: none; }
  body { font: 16px sans-serif; color: #1b1f24; background: #fff; }
</style>`;

const doc = (body: string) =>
  `<!doctype html><html lang="en"><head><title>Check</title>${STYLE}</head><body><main><h1>Check</h1>${body}</main></body></html>`;

describe('checkPage', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: await chromiumExecutable(),
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
  });
  beforeEach(async () => {
    page = await browser.newPage();
  });
  afterEach(async () => page?.close());
  afterAll(async () => browser?.close());

  it('passes a labelled, keyboard-reachable page and saves its screenshot', async () => {
    rmSync(join(SCREENSHOTS, 'page-check-good.png'), { force: true });
    await page.setContent(
      doc(`<form><label for="e">Email</label><input id="e" type="email">
        <fieldset><legend>Role</legend>
          <label><input type="radio" name="r" value="a" checked> Admin</label>
          <label><input type="radio" name="r" value="b"> Viewer</label></fieldset>
        <label for="due">Due on</label><input id="due" type="date">
        <button type="submit">Save</button></form><a href="#x">More</a>`),
    );
    await checkPage(page, 'page-check-good');
    expect(existsSync(join(SCREENSHOTS, 'page-check-good.png'))).toBe(true);
  });

  it('walks the whole page when the walk starts in a date field (one stop per part)', async () => {
    await page.setContent(
      doc(
        `<button>Before</button><label for="d">Received on</label><input id="d" type="date"><a href="#y">After</a>`,
      ),
    );
    await page.focus('#d');
    await checkPage(page, 'page-check-date-start');
  });

  it('fails on serious axe violations, naming the rule and the element', async () => {
    await page.setContent(doc(`<input id="nolabel" type="text"><p style="color:#bbb">faint text</p>`));
    const failure = checkPage(page, 'page-check-axe', { keyboard: false });
    await expect(failure).rejects.toThrow(/\[critical\] label: .*\n\s+#nolabel/);
    await expect(checkPage(page, 'page-check-axe', { keyboard: false })).rejects.toThrow(
      /\[serious\] color-contrast/,
    );
  });

  it("still runs axe under a Content-Security-Policy as strict as the console's", async () => {
    await page.route('http://check.test/', (route) =>
      route.fulfill({
        contentType: 'text/html',
        // Scripts as the console allows them (its own files only); this fixture's inline <style> allowed.
        headers: {
          'content-security-policy':
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'",
        },
        body: doc(`<input id="nolabel" type="text">`),
      }),
    );
    const refusals: string[] = [];
    page.on('console', (m) => /Content.Security.Policy|Refused/i.test(m.text()) && refusals.push(m.text()));
    await page.goto('http://check.test/');
    await expect(checkPage(page, 'page-check-csp', { keyboard: false })).rejects.toThrow(
      /\[critical\] label/,
    );
    expect(refusals).toEqual([]);
  });

  it('fails on elements Tab cannot reach, and accepts the ones it can', async () => {
    await page.setContent(
      doc(`<div role="button" tabindex="0">Custom</div><a href="#" tabindex="-1">Not a stop</a>`),
    );
    await checkPage(page, 'page-check-tabindex');
    // A focus trap: the second button sends focus back to the first, so nothing after it is ever reached.
    await page.setContent(
      doc(`<button id="a">First</button>
        <button onfocus="document.getElementById('a').focus()">Trap</button><button>After</button>`),
    );
    await expect(checkPage(page, 'page-check-trap')).rejects.toThrow(
      /not reachable by Tab:\n\s+<button> "Trap"\n\s+<button> "After"/,
    );
  });

  it('fails on an element that shows no focus indicator', async () => {
    await page.setContent(doc(`<button>Fine</button><button class="no-ring">Invisible focus</button>`));
    await expect(checkPage(page, 'page-check-focus')).rejects.toThrow(
      /no visible focus indicator:\n\s+<button> "Invisible focus"/,
    );
  });
});
