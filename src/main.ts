import 'reflect-metadata';
import { type AppConfig, loadConfig } from './config/app-config';
import { createServer } from 'node:net';
import { createHttpApp, type Database, describeStartFailure, openDatabase, stopOnSignal } from './bootstrap';

/** Refuses early (before a database is started) when the HTTP port is taken; listen() reports a later race. */
function ensurePortFree(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** `npm start`: the API and the worker in one process, with an embedded PostgreSQL if none is configured. */
async function main(): Promise<void> {
  let config: AppConfig | undefined;
  let database: Database | undefined;
  let app: Awaited<ReturnType<typeof createHttpApp>> | undefined;
  try {
    config = loadConfig();
    await ensurePortFree(config.port, config.host);
    database = await openDatabase(config);
    app = await createHttpApp({ config, databaseUrl: database.url, roles: config.roles });
    await app.listen(config.port, config.host);
  } catch (error) {
    process.stderr.write(`${describeStartFailure(error, config)}\n`);
    await app?.close().catch(() => undefined);
    await database?.embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
  stopOnSignal(app, database);
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
  if (config.devSecretsFile) {
    lines.push(`  Development API key, console admin and webhook secrets: ${config.devSecretsFile}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

void main();
