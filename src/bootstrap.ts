import { type INestApplication, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { runMigrations } from './platform/database/data-source';
import { EmbeddedDatabase } from './platform/database/embedded-database';
import { createValidationPipe } from './platform/http/problem';
import type { RuntimeRoles } from './platform/runtime';
import { ApiKeyService } from './modules/auth/api-key.service';
import { serveConsentCheckDirectly } from './modules/ledger/consent-check.route';

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
  const adapter = new FastifyAdapter({
    bodyLimit: Math.max(options.config.webhookBodyLimit, options.config.apiBodyLimit),
    trustProxy: true,
    // Query strings like ?hub.mode= are parsed into flat keys.
    routerOptions: { ignoreTrailingSlash: true },
  });
  // Webhooks may be as large as Meta sends (3 MB); the API accepts less.
  adapter.getInstance().addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1/')) route.bodyLimit = options.config.apiBodyLimit;
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(options), adapter, {
    rawBody: true,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(createValidationPipe());
  serveConsentCheckDirectly(app);
  app.enableShutdownHooks();
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
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  // Every body this service accepts is JSON; anything else is refused with 415 before a handler runs
  // (Nest registers a form-urlencoded parser of its own, which would otherwise feed forms to the DTOs).
  fastify.removeContentTypeParser(['text/plain', 'application/x-www-form-urlencoded']);
  await app.get(ApiKeyService).ensureBootstrapKey();
  return app;
}

/** A worker without HTTP. */
export async function createWorkerContext(options: BuildOptions): Promise<INestApplicationContext> {
  await runMigrations(options.databaseUrl);
  const app = await NestFactory.createApplicationContext(AppModule.register(options), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  return app;
}

export type { INestApplication };
