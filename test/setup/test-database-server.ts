import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Name of the database every test database is copied from (migrated once per run). Each run has its own
 * (named cg_t_<unix seconds>_tpl<pid>), so that two runs on one server never drop each other's template.
 */
export function templateDatabase(): string {
  const name = process.env.CG_TEST_TEMPLATE;
  if (!name) throw new Error('CG_TEST_TEMPLATE is not set: run the tests through the test runner (npm test)');
  return name;
}
export const EMBEDDED_TEST_PORT = 54331;
export const EMBEDDED_TEST_DIR = join(tmpdir(), 'consent-gateway-test-pg');

/** The PostgreSQL server tests use: TEST_DATABASE_URL, else DATABASE_URL, else an embedded one. */
export function configuredServerUrl(): string | null {
  return process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || null;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * What global setup leaves for global teardown. Jest runs both in its main process but loads them as
 * separate modules, so the state lives on globalThis (Jest documents globals set in globalSetup as
 * readable in globalTeardown).
 */
export function testRun(): TestRun {
  const holder = globalThis as { consentGatewayTestRun?: TestRun };
  return (holder.consentGatewayTestRun ??= {});
}

interface TestRun {
  prepared?: boolean;
  stopEmbedded?: () => Promise<void>;
  routeTableFile?: string;
}
