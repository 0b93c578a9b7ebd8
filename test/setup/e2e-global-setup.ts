import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startTestApp } from '../support/app';
import { createTestDatabase } from '../support/database';
import globalSetup from './global-setup';
import { testRun } from './test-database-server';

/**
 * The database setup, plus the router table of a started app. test/e2e/route-auth.e2e.spec.ts makes one
 * test per served route, and Jest collects tests synchronously, before any app of the test file can start:
 * so the table is printed here, once per run, and the test checks its own app serves exactly that table.
 */
export default async function e2eGlobalSetup(): Promise<void> {
  await globalSetup();
  const db = await createTestDatabase();
  try {
    const gw = await startTestApp({ databaseUrl: db.url });
    try {
      const file = join(tmpdir(), `cg-test-routes-${process.pid}.txt`);
      writeFileSync(file, printedRouteTable(gw.app));
      process.env.CG_TEST_ROUTE_TABLE = file;
      testRun().routeTableFile = file;
    } finally {
      await gw.close();
    }
  } finally {
    await db.drop();
  }
}

/** Fastify's radix tree of every route, as route-auth parses it. */
export function printedRouteTable(app: NestFastifyApplication): string {
  const fastify = app.getHttpAdapter().getInstance() as unknown as {
    printRoutes(options: { commonPrefix: boolean }): string;
  };
  return fastify.printRoutes({ commonPrefix: true });
}
