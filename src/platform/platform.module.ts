import { type DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CryptoService } from './crypto/crypto.service';
import { KeyRotation } from './crypto/key-rotation';
import { SealedColumns } from './crypto/sealed-columns';
import { MIGRATIONS } from './database/data-source';
import { DATABASE_URL } from './database/database.tokens';
import { NotificationListener } from './database/notification-listener';
import { Notifications } from './database/notifications';
import { PoolGuard } from './database/pool-guard';
import { HealthController } from './health/health.controller';
import { loggerParams } from './logging/logging';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { QueueService } from './queue/queue.service';
import { RUNTIME_ROLES, type RuntimeRoles } from './runtime';

const poolLogger = new Logger('Database');

export interface PlatformOptions {
  config: AppConfig;
  databaseUrl: string;
  roles: RuntimeRoles;
}

/** Database, queue, crypto, logging, metrics and health: no business rules live here. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        LoggerModule.forRoot(
          loggerParams({ level: options.config.logLevel, format: options.config.logFormat }),
        ),
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: options.databaseUrl,
          synchronize: false,
          migrationsRun: false,
          migrations: MIGRATIONS,
          autoLoadEntities: true,
          // JIT off: the gateway's queries are short OLTP reads and writes; JIT-compiling one that crosses
          // jit_above_cost (a count over a large table) costs seconds of CPU for a query that otherwise runs
          // in milliseconds (measured by the console bench, test/bench/console-pages.js).
          extra: {
            max: 20,
            application_name: 'consent-gateway',
            options: '-c jit=off',
            // While the database is away a request waits this long for a connection, then gets a 503
            // (database-unavailable.ts) instead of hanging until the client gives up.
            connectionTimeoutMillis: 5_000,
          },
          // The pool's idle connections break when the database restarts: reported, never fatal.
          poolErrorHandler: (error: Error) => poolLogger.warn(`database pool: ${error.message}`),
          logging: false,
          // Bootstrap waits for the database itself (bootstrap.ts): a failure here is reported, not retried.
          retryAttempts: 1,
          retryDelay: 500,
        }),
        TerminusModule,
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: APP_CONFIG, useValue: options.config },
        { provide: DATABASE_URL, useValue: options.databaseUrl },
        { provide: RUNTIME_ROLES, useValue: options.roles },
        CryptoService,
        SealedColumns,
        KeyRotation,
        MetricsService,
        QueueService,
        Notifications,
        NotificationListener,
        PoolGuard,
      ],
      exports: [
        APP_CONFIG,
        DATABASE_URL,
        RUNTIME_ROLES,
        CryptoService,
        SealedColumns,
        KeyRotation,
        MetricsService,
        QueueService,
        Notifications,
        NotificationListener,
      ],
    };
  }
}
