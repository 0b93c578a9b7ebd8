import { Client } from 'pg';
import PgBoss from 'pg-boss';
import { EmbeddedDatabase } from '../../src/platform/database/embedded-database';
import { runMigrations } from '../../src/platform/database/data-source';
import {
  configuredServerUrl,
  EMBEDDED_TEST_DIR,
  EMBEDDED_TEST_PORT,
  testRun,
  withDatabase,
} from './test-database-server';

/**
 * Prepares the real PostgreSQL every test tier but unit uses: the configured server, or an embedded one. It
 * builds a template database with every migration and the pg-boss schema applied; each test file copies it.
 * Test workers inherit the environment variables it sets; test/setup/global-teardown.ts undoes it.
 */
export default async function globalSetup(): Promise<void> {
  // Several tiers name this setup (and the e2e one calls it): the first call of a run prepares the database.
  if (testRun().prepared) return;
  testRun().prepared = true;
  let serverUrl = configuredServerUrl();
  if (!serverUrl) {
    const embedded = new EmbeddedDatabase({ dataDir: EMBEDDED_TEST_DIR, port: EMBEDDED_TEST_PORT });
    serverUrl = withDatabase(await embedded.start(), 'postgres');
    testRun().stopEmbedded = () => embedded.stop();
  }
  process.env.CG_TEST_SERVER_URL = serverUrl;
  const template = `cg_t_${Math.floor(Date.now() / 1000)}_tpl${process.pid}`;
  process.env.CG_TEST_TEMPLATE = template;

  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    // Databases and templates left behind by interrupted runs (named cg_t_<unix seconds>_<suffix>); an
    // hour's grace keeps a concurrent run's databases alive.
    const stale = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'cg_t_%'`,
    );
    const hourAgo = Date.now() / 1000 - 3600;
    for (const { datname } of stale.rows) {
      const created = Number(datname.split('_')[2]);
      if (!Number.isFinite(created) || created < hourAgo) {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  const templateUrl = withDatabase(serverUrl, template);
  await runMigrations(templateUrl);
  const boss = new PgBoss({
    connectionString: templateUrl,
    schema: 'pgboss',
    supervise: false,
    schedule: false,
  });
  await boss.start();
  await boss.stop({ graceful: false, wait: true, close: true });
}
