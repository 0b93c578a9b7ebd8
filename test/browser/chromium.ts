import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * The Chromium the browser tier drives: CHROMIUM_PATH when set, else the system's (Debian's, as in CI),
 * else the one @sparticuz/chromium ships inside its npm package (extracted to /tmp on first use), so the
 * tests also run on a machine with nothing installed beyond Node.
 */
export async function chromiumExecutable(): Promise<string> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  // The package is an ES module that finds its archive through import.meta: it runs in plain Node, outside
  // Jest's CommonJS module system.
  const { stdout } = await promisify(execFile)(process.execPath, [
    '-e',
    `import('@sparticuz/chromium').then((m) => m.default.executablePath()).then((p) => process.stdout.write(p))`,
  ]);
  return stdout.trim();
}
