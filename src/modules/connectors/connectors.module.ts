import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboundGuard } from '../../platform/http/outbound-guard';
import { AuthModule } from '../auth';
import { InboxModule } from '../inbox';
import { LedgerModule } from '../ledger';
import { VendorsModule } from '../vendors';
import { BackfillRunRepository } from './backfill-run.repository';
import { BackfillService } from './backfill.service';
import { ChangePollService } from './change-poll.service';
import { ConnectionAdminService } from './connection-admin.service';
import { ConnectionDirectory, ConnectionLeases } from './connection-directory';
import { ConnectionDirectoryRepository } from './connection-directory.repository';
import { ConnectionRecordRepository } from './connection-record.repository';
import { ConnectionRepository } from './connection.repository';
import { ConnectionService } from './connection.service';
import { ConnectionsController, OAuthCallbackController } from './connections.controller';
import { ConnectionsWorker } from './connections.worker';
import { ConnectorFactory } from './connector.factory';
import { CrmContactImporter } from './crm-contact.importer';
import { BackfillRunEntity } from './entities/backfill-run.entity';
import { ConnectionRecordEntity } from './entities/connection-record.entity';
import { ConnectionEntity } from './entities/connection.entity';
import { ConnectionUnmatchedEntity } from './entities/connection-unmatched.entity';
import { OAuthStateNonceEntity } from './entities/oauth-state-nonce.entity';
import { OAuthStateNonceRepository } from './oauth-state-nonce.repository';
import { RecordLinks } from './record-links.service';
import { VendorForgetRequests } from './vendor-forget-requests';
import { HubspotInboxHandler } from './hubspot/hubspot-inbox.handler';
import { HubspotWebhookController } from './hubspot/hubspot-webhook.controller';
import { ConnectorsSealedColumns } from './connectors-sealed-columns';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      ConnectionEntity,
      ConnectionRecordEntity,
      ConnectionUnmatchedEntity,
      BackfillRunEntity,
      OAuthStateNonceEntity,
    ]),
    LedgerModule,
    InboxModule,
    AuthModule,
    VendorsModule,
  ],
  controllers: [ConnectionsController, OAuthCallbackController, HubspotWebhookController],
  providers: [
    // keys:rotate and keys:status reach this module's encrypted columns through it.
    ConnectorsSealedColumns,
    OutboundGuard,
    ConnectionRepository,
    ConnectionRecordRepository,
    ConnectionDirectoryRepository,
    BackfillRunRepository,
    OAuthStateNonceRepository,
    ConnectionService,
    RecordLinks,
    ConnectionDirectory,
    ConnectionLeases,
    ConnectionAdminService,
    ConnectorFactory,
    CrmContactImporter,
    BackfillService,
    ChangePollService,
    VendorForgetRequests,
    HubspotInboxHandler,
    ConnectionsWorker,
  ],
  exports: [
    ConnectionService,
    RecordLinks,
    ConnectionAdminService,
    ConnectionDirectory,
    ConnectionLeases,
    ConnectorFactory,
    OutboundGuard,
    BackfillService,
    ChangePollService,
  ],
})
export class ConnectorsModule {}
