import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * The check every console page and state in the browser tests goes through: a full-page screenshot saved
 * under test-output/screenshots/<name>.png, axe-core (WCAG 2.x A/AA and best practices) with no serious or
 * critical violation, and the keyboard: every visible interactive element is reached by Tab and shows a
 * visible focus indicator when it is. A failure lists each problem with the elements it names, so the fix
 * can be found from the test output alone.
 *
 * The Tab walk moves focus (it presses Tab only, never Enter or Space, so nothing is activated): call it on
 * a settled page, after what the test waits for, not between filling a field and submitting it.
 */

export const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

export interface CheckPageOptions {
  /** Skip the Tab walk (e.g. a page where focus is deliberately trapped by something outside the check). */
  keyboard?: boolean;
  /** CSS selectors axe leaves out (a third-party widget, never a page of ours). */
  exclude?: string[];
}

interface AxeNode {
  target: unknown[];
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}

interface KeyboardReport {
  unreachable: string[];
  noFocusStyle: string[];
}

const BLOCKING = new Set(['serious', 'critical']);
// Read once per test file: the source is injected by evaluation rather than a <script> tag, because the
// console's Content-Security-Policy (script-src 'self') refuses inline scripts, and a refusal is a test failure.
let axeSource: string | undefined;
const axe = () => (axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));

export async function checkPage(page: Page, name: string, options: CheckPageOptions = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  const problems: string[] = [];
  for (const v of await axeViolations(page, options.exclude ?? [])) {
    const targets = v.nodes.slice(0, 8).map((n) => `      ${n.target.map(String).join(' ')}`);
    const more = v.nodes.length > 8 ? [`      … and ${v.nodes.length - 8} more`] : [];
    problems.push(`  [${v.impact}] ${v.id}: ${v.help}\n${[...targets, ...more].join('\n')}`);
  }
  if (options.keyboard !== false) {
    const keys = await keyboardReport(page);
    if (keys.unreachable.length) {
      problems.push(
        `  [keyboard] not reachable by Tab:\n${keys.unreachable.map((e) => `      ${e}`).join('\n')}`,
      );
    }
    if (keys.noFocusStyle.length) {
      problems.push(
        `  [keyboard] no visible focus indicator:\n${keys.noFocusStyle.map((e) => `      ${e}`).join('\n')}`,
      );
    }
  }
  if (problems.length) {
    throw new Error(`Page "${name}" (${page.url()}) fails the accessibility check:\n${problems.join('\n')}`);
  }
}

async function axeViolations(page: Page, exclude: string[]): Promise<AxeViolation[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axe());
  const context = exclude.length
    ? { include: [['html']], exclude: exclude.map((s) => [s]) }
    : { include: [['html']] };
  const violations = await page.evaluate<AxeViolation[]>(
    `axe.run(${JSON.stringify(context)}, { resultTypes: ['violations'] }).then((r) => r.violations)`,
  );
  return violations.filter((v) => v.impact !== null && BLOCKING.has(v.impact));
}

/**
 * What runs in the page for the Tab walk, as plain browser JavaScript (the tests compile without the DOM's
 * types). `start` lists every visible, enabled interactive element; `step` records the focused one and
 * whether it shows an outline or a box shadow; `missed` names the elements never focused. Radio buttons
 * are one Tab stop per group (the arrows move within it), so a group counts as reached when any of its
 * buttons is. When a modal dialog is open, only what is inside it is expected (the rest is inert).
 */
const IN_PAGE = `window.__pageCheck = (() => {
  const SELECTOR = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, ' +
    '[tabindex]:not([tabindex="-1"]), [contenteditable="true"]';
  let targets = [];
  let seen = new Set();
  const describe = (e) => {
    const text = (e.getAttribute('aria-label') ?? e.textContent ?? '').trim().replace(/\\s+/g, ' ');
    const id = e.id ? '#' + e.id : '';
    const name = e.getAttribute('name') ? '[name=' + e.getAttribute('name') + ']' : '';
    return '<' + e.tagName.toLowerCase() + id + name + '> "' + text.slice(0, 40) + '"';
  };
  const group = (e) => (e.form ? [...document.forms].indexOf(e.form) : -1) + ':' + e.name;
  const isRadio = (e) => e instanceof HTMLInputElement && e.type === 'radio';
  return {
    start() {
      const scope = document.querySelector('dialog:modal') ?? document;
      targets = [...scope.querySelectorAll(SELECTOR)].filter(
        (e) => !e.disabled && e.tabIndex >= 0 && !e.closest('[inert], fieldset:disabled') &&
          e.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }),
      );
      seen = new Set();
      document.activeElement?.blur();
      window.getSelection()?.removeAllRanges();
      return targets.length;
    },
    step() {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      seen.add(e);
      // Focus inside a control's own (closed) shadow tree, such as a date field's calendar button: the field
      // is the active element without matching :focus, and the browser draws that ring itself.
      if (!e.matches(':focus')) return { key: targets.indexOf(e) + ':' + describe(e) + ':inner', visible: true, label: describe(e) };
      const style = getComputedStyle(e);
      const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
      return { key: targets.indexOf(e) + ':' + describe(e), visible: outlined || style.boxShadow !== 'none', label: describe(e) };
    },
    missed() {
      const groups = new Set([...seen].filter(isRadio).map(group));
      return targets.filter((e) => !seen.has(e) && !(isRadio(e) && groups.has(group(e)))).map(describe);
    },
  };
})();`;

interface Step {
  key: string;
  visible: boolean;
  label: string;
}

/** Walks the page with Tab, as a keyboard user would, from where focus was until it comes back round. */
async function keyboardReport(page: Page): Promise<KeyboardReport> {
  await page.evaluate(IN_PAGE);
  const total = await page.evaluate<number>('window.__pageCheck.start()');
  const noFocusStyle = new Set<string>();
  let first: string | null = null;
  let previous: string | null = null;
  // Until focus comes back to the first stop; a date field takes one Tab per part (day, month, year), hence
  // the cap of three per element and some slack for the browser's own stops.
  for (let i = 0; i < 3 * total + 10; i++) {
    await page.keyboard.press('Tab');
    const step = await page.evaluate<Step | null>('window.__pageCheck.step()');
    if (!step) continue;
    // The next part of the same date field is the same stop; coming back to the first stop is the wrap.
    if (step.key === previous) continue;
    if (step.key === first) break;
    first ??= step.key;
    previous = step.key;
    if (!step.visible) noFocusStyle.add(step.label);
  }
  const unreachable = await page.evaluate<string[]>('window.__pageCheck.missed()');
  return { unreachable, noFocusStyle: [...noFocusStyle] };
}
