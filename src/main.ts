import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config';
import { createHttpApp, openDatabase } from './bootstrap';

/** `npm start`: the API and the worker in one process, with an embedded PostgreSQL if none is configured. */
async function main(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config);
  const app = await createHttpApp({ config, databaseUrl: database.url, roles: config.roles });
  await app.listen(config.port, config.host);
  const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  const lines = [
    `Consent Gateway is running (${config.nodeEnv}${database.embedded ? ', embedded PostgreSQL under ' + config.dataDir : ''})`,
    `  Console: ${base}/console`,
    `  API:     ${base}/v1`,
    `  Docs:    ${base}/docs`,
    `  Health:  ${base}/health`,
    `  Metrics: ${base}/metrics`,
    `  WhatsApp webhook: ${base}/webhooks/whatsapp`,
  ];
  if (!config.production && config.bootstrapApiKey && !process.env.BOOTSTRAP_API_KEY) {
    lines.push(`  Development API key, console admin and webhook secrets: ${config.dataDir}/secrets.json`);
  }
  process.stdout.write(lines.join('\n') + '\n');
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
