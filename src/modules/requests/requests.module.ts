import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock, SystemClock } from '../../platform/clock/clock';
import { ConnectorsModule } from '../connectors';
import { LedgerModule } from '../ledger';
import { PropagationModule } from '../propagation';
import { VendorsModule } from '../vendors';
import { DataSubjectRequestEntity } from './entities/data-subject-request.entity';
import { RequestEventEntity } from './entities/request-event.entity';
import { RequestPauseEntity } from './entities/request-pause.entity';
import { RequestTaskEntity } from './entities/request-task.entity';
import { RequestActions } from './request-actions.service';
import { RequestEvents } from './event-announcer';
import { EVENT_CONTROLLERS, EVENT_ENTITIES, EVENT_PROVIDERS } from './event-providers';
import { RequestAnnouncements } from './request-announcements';
import { RequestApi } from './request-api.service';
import { RequestExport } from './request-export.service';
import { RequestHistoryRepository } from './request-history.repository';
import { RequestIdentifiers } from './request-identifier';
import { RequestPolicy } from './request-policy';
import { RequestSweep } from './request-sweep';
import { RequestTaskRepository } from './request-task.repository';
import { RequestViews } from './request-views';
import { RequestWorkflow } from './request-workflow';
import { RETENTION_CONTROLLERS, RETENTION_PROVIDERS } from './retention-providers';
import { RequestRepository } from './request.repository';
import { RequestService } from './request.service';
import { RequestsController } from './requests.controller';

/**
 * Data-subject requests (GDPR Art. 15-21): intake from the API, the console and verified channels, deadlines,
 * orchestration over the ledger and propagation, manual tasks, the access export, sweeps and metrics. The channels
 * below it reach it through the ledger's SubjectRequestIntake port (bound in RequestIntakeModule).
 */
import { RequestsSealedColumns } from './requests-sealed-columns';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      DataSubjectRequestEntity,
      RequestEventEntity,
      RequestPauseEntity,
      RequestTaskEntity,
      ...EVENT_ENTITIES,
    ]),
    LedgerModule,
    ConnectorsModule,
    VendorsModule,
    PropagationModule,
  ],
  controllers: [RequestsController, ...EVENT_CONTROLLERS, ...RETENTION_CONTROLLERS],
  providers: [
    // keys:rotate and keys:status reach this module's encrypted columns through it.
    RequestsSealedColumns,
    // The real clock; a test module may override it with one it controls.
    { provide: Clock, useClass: SystemClock },
    // Requests announce through the event-subscription outbox (event-*.ts).
    { provide: RequestAnnouncements, useExisting: RequestEvents },
    ...EVENT_PROVIDERS,
    ...RETENTION_PROVIDERS,
    RequestRepository,
    RequestHistoryRepository,
    RequestTaskRepository,
    RequestIdentifiers,
    RequestPolicy,
    RequestWorkflow,
    RequestService,
    RequestActions,
    RequestApi,
    RequestViews,
    RequestExport,
    RequestSweep,
  ],
  exports: [RequestService],
})
export class RequestsModule {}
