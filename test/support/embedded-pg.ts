import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './app';

const ROOT = join(__dirname, '../..');

/**
 * Runs the compiled EmbeddedDatabase in a process of its own: its binaries come from an ESM-only package
 * that Jest's module registry cannot load, and a separate process is also what a real database is. It
 * prints the URL once the server accepts connections and stops it (a fast shutdown) on SIGTERM.
 */
const DRIVER = `
const { EmbeddedDatabase } = require(${JSON.stringify(join(ROOT, 'dist/platform/database/embedded-database.js'))});
const [dataDir, port] = process.argv.slice(1);
const database = new EmbeddedDatabase({ dataDir, port: Number(port) });
process.on('SIGTERM', () => database.stop().then(() => process.exit(0), () => process.exit(1)));
database.start().then((url) => process.stdout.write('URL ' + url + '\\n'), (error) => {
  process.stderr.write(String(error && error.message) + '\\n');
  process.exit(1);
});
`;

/**
 * A PostgreSQL of a test's own (the embedded server the gateway starts without DATABASE_URL, from dist/),
 * for tests that stop and start the database under a running gateway; the shared test server must never be
 * stopped. As root it runs as the `postgres` user, with binaries and cluster where that user can reach them
 * (embedded-postgres-files.ts).
 */
export class TestPostgres {
  private driver: ChildProcess | null = null;
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'cg-own-pg-'));
  private port = 0;
  url = '';

  async start(): Promise<string> {
    this.port ||= await freePort();
    const driver = spawn(process.execPath, ['-e', DRIVER, this.dataDir, String(this.port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.driver = driver;
    let errors = '';
    driver.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    this.url = await new Promise<string>((resolve, reject) => {
      let out = '';
      driver.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /URL (\S+)/.exec(out);
        if (match) resolve(match[1]);
      });
      driver.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited (${code}): ${errors}`)));
    });
    return this.url;
  }

  /** A fast shutdown: every connection is terminated (57P01), as a restart or a failover does. */
  async stop(): Promise<void> {
    const driver = this.driver;
    this.driver = null;
    if (!driver || driver.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      driver.once('exit', () => resolve());
      driver.kill('SIGTERM');
    });
  }

  async restart(downMs: number): Promise<void> {
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start();
  }
}
