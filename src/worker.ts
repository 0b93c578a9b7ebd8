import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config';
import { createWorkerContext, openDatabase } from './bootstrap';

/** `npm run start:worker`: processes the inbox (and, later, deliveries) without serving HTTP. */
async function main(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config);
  const app = await createWorkerContext({
    config,
    databaseUrl: database.url,
    roles: { api: false, worker: true },
  });
  process.stdout.write('Consent Gateway worker is running\n');
  const stop = async () => {
    await app.close();
    await database.embedded?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : String((error as Error)?.stack ?? error)}\n`,
  );
  process.exit(1);
});
