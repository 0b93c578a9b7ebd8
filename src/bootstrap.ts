import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { runMigrations } from './platform/database/data-source';
import { isDatabaseUnavailable } from './platform/database/database-unavailable';
import { EmbeddedDatabase, EmbeddedDatabaseError } from './platform/database/embedded-database';
import { ConfigError } from './config/app-config';
import { bodyLimitFor } from './platform/http/body-limits';
import { installHostileInputCheck } from './platform/http/hostile-input';
import { createValidationPipe } from './platform/http/problem';
import { installRateLimits } from './platform/http/rate-limit.hook';
import { installSecurityHeaders } from './platform/http/security-headers';
import type { RuntimeRoles } from './platform/runtime';
import { ApiKeyService } from './modules/auth';
import { serveConsentCheckDirectly } from './modules/ledger';
import { serveWhatsAppIntakeDirectly } from './modules/whatsapp';

export interface Database {
  url: string;
  embedded: EmbeddedDatabase | null;
}

/** The configured database, or an embedded one under the data directory when none is configured. */
export async function openDatabase(config: AppConfig): Promise<Database> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  const embedded = new EmbeddedDatabase({ dataDir: config.dataDir, port: config.embeddedPostgresPort });
  return { url: await embedded.start(), embedded };
}

export interface BuildOptions {
  config: AppConfig;
  databaseUrl: string;
  roles: RuntimeRoles;
}

/** The HTTP application (API role, and the worker role too when roles.worker is set). */
export async function createHttpApp(options: BuildOptions): Promise<NestFastifyApplication> {
  await runMigrations(options.databaseUrl);
  const { config } = options;
  const adapter = new FastifyAdapter({
    // The largest route limit; each route gets its own below.
    bodyLimit: Math.max(config.webhookBodyLimit, config.apiBodyLimit, config.http.jsonBodyLimit),
    // X-Forwarded-For is believed only from TRUSTED_PROXIES: otherwise anyone could name the IP the audit
    // log records and the rate limits count.
    trustProxy: config.trustedProxies.length ? config.trustedProxies : false,
    // Slow clients (slowloris) cannot hold connections open: the whole request must arrive in time.
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.http.connectionTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      maxHeaderSize: config.http.maxHeaderBytes,
      headersTimeout: Math.min(config.http.headersTimeoutMs, config.http.requestTimeoutMs),
      // How often Node looks for requests past those timeouts (default 30 s, which would let a slow client
      // hold its connection up to 30 s longer than the limits say).
      connectionsCheckingInterval: 2_000,
    },
    // Query strings like ?hub.mode= are parsed into flat keys. Path parameters are UUIDs, types and
    // names: a longer one matches no route (404).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 100 },
  });
  const fastify = adapter.getInstance();
  fastify.addHook('onRoute', (route) => {
    route.bodyLimit = bodyLimitFor(route.method, route.url, config);
  });
  // Before any route exists, so that every route (Nest's, plugins', 404s) runs them.
  const https = config.publicBaseUrl.startsWith('https:');
  installSecurityHeaders(fastify, { https });
  const rateLimits = installRateLimits(fastify, config.rateLimits);
  installHostileInputCheck(fastify);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(options), adapter, {
    rawBody: true,
    bufferLogs: true,
    abortOnError: false,
  });
  try {
    app.useLogger(app.get(Logger));
    app.useGlobalPipes(createValidationPipe());
    serveConsentCheckDirectly(app, { rateLimits, https });
    serveWhatsAppIntakeDirectly(app);
    if (config.docsEnabled) serveDocs(app);
    await app.init();
    // Every body this service accepts is JSON; anything else is refused with 415 before a handler runs
    // (Nest registers a form-urlencoded parser of its own, which would otherwise feed forms to the DTOs).
    fastify.removeContentTypeParser(['text/plain', 'application/x-www-form-urlencoded']);
    await app.get(ApiKeyService).ensureBootstrapKey();
    return app;
  } catch (error) {
    // The database went away while starting: close what was opened (pools, queue, listener) before retrying.
    await app.close().catch(() => undefined);
    throw error;
  }
}

const WAIT_FIRST_MS = 500;
const WAIT_LONGEST_MS = 5_000;

/**
 * Runs `attempt` until it does not fail for want of a database, waiting longer between tries (up to 5 s):
 * a gateway started before its database (a host boot, a compose stack, a failover) waits instead of exiting.
 * `waiting` is told of each failure; any other error ends the wait and is thrown.
 */
export async function untilDatabaseReachable<T>(
  attempt: () => Promise<T>,
  waiting: (error: unknown, attempt: number) => Promise<void> | void,
): Promise<T> {
  let delay = WAIT_FIRST_MS;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      await waiting(error, tries);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(WAIT_LONGEST_MS, delay * 2);
    }
  }
}

/** One line on stderr while the database cannot be reached at start (the first time, then every 10th try). */
export function reportWaitingForDatabase(error: unknown, attempt: number): void {
  if (attempt !== 1 && attempt % 10 !== 0) return;
  process.stderr.write(`Waiting for the database: ${describeStartFailure(error)}\n`);
}

/** Swagger UI at /docs and the OpenAPI document at /docs/openapi.json (DOCS_ENABLED). */
function serveDocs(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Consent Gateway')
      .setDescription(
        'WhatsApp consent intake, the consent ledger and the consent API for automation platforms.',
      )
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}

/** A worker without HTTP. */
export async function createWorkerContext(options: BuildOptions): Promise<INestApplicationContext> {
  await runMigrations(options.databaseUrl);
  const app = await NestFactory.createApplicationContext(AppModule.register(options), {
    bufferLogs: true,
    abortOnError: false,
  });
  try {
    app.useLogger(app.get(Logger));
    await app.init();
    return app;
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Stops in order on SIGINT/SIGTERM: the application first (HTTP, then every module's destroy hook: intake
 * writer, workers, pg-boss, the LISTEN/NOTIFY listener, then the TypeORM pool), the embedded database
 * last, so nothing still connected sees its database go away. Nest's own shutdown hooks are not enabled:
 * they would close the application a second time and re-raise the signal before the database is stopped.
 */
export function stopOnSignal(app: INestApplicationContext, database: Database): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.get(Logger).log(`${signal} received: stopping`, 'Shutdown');
    void app
      .close()
      .then(() => database.embedded?.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`Stopping failed: ${describeStartFailure(error)}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * One line saying why the gateway cannot run and what to do, never a stack trace: configuration and
 * embedded database errors say it themselves; a port in use or an unreachable DATABASE_URL are named here.
 */
export function describeStartFailure(
  error: unknown,
  config?: AppConfig,
  what = 'Consent Gateway could not start',
): string {
  if (error instanceof ConfigError || error instanceof EmbeddedDatabaseError) return error.message;
  const failure = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (failure?.code === 'EADDRINUSE') {
    return `Port ${failure.port ?? ''} is taken by another program: set PORT (and HOST) to a free address.`;
  }
  if (failure?.code === 'EACCES' && failure.syscall === 'listen') {
    return `Listening on port ${failure.port ?? ''} needs privileges this process lacks: set PORT above 1023.`;
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT'].includes(failure?.code ?? '')) {
    return `The database cannot be reached (${failure.code}${failure.address ? ' ' + failure.address : ''}): is it running? Check DATABASE_URL.`;
  }
  if (failure?.code === '28P01' || failure?.code === '3D000') {
    return `The database refused the connection (${failure.message}): check DATABASE_URL.`;
  }
  const message = error instanceof Error ? error.message : String(error);
  const line = `${what}: ${message.split('\n')[0]}`;
  // An unexpected failure is a bug: its stack trace is there for whoever asks for it.
  const verbose = config?.logLevel === 'debug' || config?.logLevel === 'trace';
  return verbose ? `${line}\n${(error as Error)?.stack ?? ''}` : `${line} (LOG_LEVEL=debug shows where)`;
}
