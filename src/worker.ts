import 'reflect-metadata';
import { type AppConfig, loadConfig } from './config/app-config';
import {
  createWorkerContext,
  type Database,
  describeStartFailure,
  openDatabase,
  reportWaitingForDatabase,
  stopOnSignal,
  untilDatabaseReachable,
} from './bootstrap';
import { installProcessGuard, stderrGuardLog } from './platform/process/process-guard';

/** `npm run start:worker`: processes the inbox and the deliveries without serving HTTP. */
async function main(): Promise<void> {
  installProcessGuard(stderrGuardLog);
  let config: AppConfig | undefined;
  let database: Database | undefined;
  let app: Awaited<ReturnType<typeof createWorkerContext>> | undefined;
  try {
    config = loadConfig();
    database = await openDatabase(config);
    const options = { config, databaseUrl: database.url, roles: { api: false, worker: true } };
    // A database unreachable at start is waited for, not a reason to exit.
    app = await untilDatabaseReachable(() => createWorkerContext(options), reportWaitingForDatabase);
  } catch (error) {
    process.stderr.write(`${describeStartFailure(error, config)}\n`);
    await app?.close().catch(() => undefined);
    await database?.embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
  stopOnSignal(app, database);
  process.stdout.write('Consent Gateway worker is running\n');
}

void main();
