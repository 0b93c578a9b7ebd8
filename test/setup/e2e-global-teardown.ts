import { rmSync } from 'node:fs';
import globalTeardown from './global-teardown';
import { testRun } from './test-database-server';

/** Removes the route table e2e setup printed, then tears the database down. */
export default async function e2eGlobalTeardown(): Promise<void> {
  const file = testRun().routeTableFile;
  if (file) rmSync(file, { force: true });
  await globalTeardown();
}
