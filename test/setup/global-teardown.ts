import { Client } from 'pg';
import { configuredServerUrl, templateDatabase, testRun } from './test-database-server';

/** Drops the run's template database and stops the embedded PostgreSQL if global setup started one. */
export default async function globalTeardown(): Promise<void> {
  const run = testRun();
  if (!run.prepared) return;
  run.prepared = false;
  const serverUrl = process.env.CG_TEST_SERVER_URL ?? configuredServerUrl();
  if (serverUrl) {
    const cleanup = new Client({ connectionString: serverUrl });
    await cleanup.connect();
    await cleanup
      .query(`DROP DATABASE IF EXISTS ${templateDatabase()} WITH (FORCE)`)
      .finally(() => cleanup.end());
  }
  await run.stopEmbedded?.();
}
