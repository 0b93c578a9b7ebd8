import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDatabase } from '../../src/platform/database/embedded-database';
import { freePort } from './app';

/**
 * A PostgreSQL of a test's own (the embedded server the gateway starts without DATABASE_URL), for tests
 * that stop and start the database under a running gateway; the shared test server must never be stopped.
 * As root it runs as the `postgres` user, with binaries and cluster where that user can reach them
 * (embedded-postgres-files.ts).
 */
export class TestPostgres {
  private database: EmbeddedDatabase | null = null;
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'cg-own-pg-'));
  private port = 0;
  url = '';

  async start(): Promise<string> {
    this.port ||= await freePort();
    this.database = new EmbeddedDatabase({ dataDir: this.dataDir, port: this.port });
    this.url = await this.database.start();
    return this.url;
  }

  /** A fast shutdown: every connection is terminated (57P01), as a restart or a failover does. */
  async stop(): Promise<void> {
    await this.database?.stop();
    this.database = null;
  }

  async restart(downMs: number): Promise<void> {
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start();
  }
}
