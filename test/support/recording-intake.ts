import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import type { EntityManager } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { runMigrations } from '../../src/platform/database/data-source';
import { type IncomingSubjectRequest, SubjectRequestIntake } from '../../src/modules/ledger';
import { testConfig } from './app';

/**
 * A SubjectRequestIntake that records what it receives, for specs of the channels that feed requests (CRM deletion
 * webhooks, polls) without the requests module: bound through DI the way the requests module binds its own.
 */
export class RecordingIntake extends SubjectRequestIntake {
  readonly received: IncomingSubjectRequest[] = [];

  receive(_manager: EntityManager, request: IncomingSubjectRequest): Promise<{ requestId: string }> {
    this.received.push(request);
    return Promise.resolve({ requestId: `request-${this.received.length}` });
  }
}

/** The gateway's modules without HTTP or workers (as startTestContext), with `intake` bound as the port. */
export async function startTestContextWithIntake(
  databaseUrl: string,
  intake: SubjectRequestIntake,
): Promise<INestApplicationContext> {
  @Global()
  @Module({
    providers: [{ provide: SubjectRequestIntake, useValue: intake }],
    exports: [SubjectRequestIntake],
  })
  class RecordingIntakeModule {}

  @Module({
    imports: [
      AppModule.register({
        config: testConfig(databaseUrl),
        databaseUrl,
        roles: { api: false, worker: false },
      }),
      RecordingIntakeModule,
    ],
  })
  class TestRootModule {}

  await runMigrations(databaseUrl);
  const app = await NestFactory.createApplicationContext(TestRootModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.init();
  return app;
}
