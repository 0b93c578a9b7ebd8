import 'reflect-metadata';
import { type AppConfig, loadConfig } from './config/app-config';
import { createServer } from 'node:net';
import {
  createHttpApp,
  type Database,
  describeStartFailure,
  openDatabase,
  reportWaitingForDatabase,
  stopOnSignal,
  untilDatabaseReachable,
} from './bootstrap';
import { StandbyServer } from './platform/health/standby-server';
import { installProcessGuard, stderrGuardLog } from './platform/process/process-guard';

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
  installProcessGuard(stderrGuardLog);
  let config: AppConfig | undefined;
  let database: Database | undefined;
  let app: Awaited<ReturnType<typeof createHttpApp>> | undefined;
  let standby: StandbyServer | undefined;
  try {
    config = loadConfig();
    await ensurePortFree(config.port, config.host);
    database = await openDatabase(config);
    const { port, host } = config;
    const options = { config, databaseUrl: database.url, roles: config.roles };
    // A database unreachable at start is waited for: the port answers meanwhile (live, not ready, 503s).
    app = await untilDatabaseReachable(
      () => createHttpApp(options),
      async (error, attempt) => {
        reportWaitingForDatabase(error, attempt);
        if (!standby) {
          standby = new StandbyServer();
          await standby.listen(port, host);
        }
      },
    );
    await standby?.close();
    await app.listen(port, host);
  } catch (error) {
    process.stderr.write(`${describeStartFailure(error, config)}\n`);
    await standby?.close().catch(() => undefined);
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
    `  Health:  ${base}/health/ready (ready) and ${base}/health/live (alive)`,
    `  Metrics: ${base}/metrics`,
    `  WhatsApp webhook: ${base}/webhooks/whatsapp`,
  ];
  if (config.devSecretsFile) {
    lines.push(`  Development API key, console admin and webhook secrets: ${config.devSecretsFile}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

void main();
