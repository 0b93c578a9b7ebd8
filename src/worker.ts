import 'reflect-metadata';
import { type AppConfig, loadConfig } from './config/app-config';
import {
  createWorkerContext,
  type Database,
  describeStartFailure,
  openDatabase,
  stopOnSignal,
} from './bootstrap';

/** `npm run start:worker`: processes the inbox and the deliveries without serving HTTP. */
async function main(): Promise<void> {
  let config: AppConfig | undefined;
  let database: Database | undefined;
  let app: Awaited<ReturnType<typeof createWorkerContext>> | undefined;
  try {
    config = loadConfig();
    database = await openDatabase(config);
    app = await createWorkerContext({
      config,
      databaseUrl: database.url,
      roles: { api: false, worker: true },
    });
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
