import { Module } from '@nestjs/common';
import { OutboundGuard } from '../../platform/http/outbound-guard';
import { AuthModule } from '../auth/auth.module';
import { InboxModule } from '../inbox/inbox.module';
import { LedgerModule } from '../ledger/ledger.module';
import { BackfillService } from './backfill.service';
import { ConnectionAdminService } from './connection-admin.service';
import { ConnectionService } from './connection.service';
import { ConnectionsController, OAuthCallbackController } from './connections.controller';
import { ConnectionsWorker } from './connections.worker';
import { ConnectorFactory } from './connector.factory';
import { HubspotInboxHandler } from './hubspot-inbox.handler';
import { HubspotWebhookController } from './hubspot-webhook.controller';
import { SalesforceSyncService } from './salesforce-sync.service';

@Module({
  imports: [LedgerModule, InboxModule, AuthModule],
  controllers: [ConnectionsController, OAuthCallbackController, HubspotWebhookController],
  providers: [
    OutboundGuard,
    ConnectionService,
    ConnectionAdminService,
    ConnectorFactory,
    BackfillService,
    SalesforceSyncService,
    HubspotInboxHandler,
    ConnectionsWorker,
  ],
  exports: [ConnectionService, ConnectorFactory, OutboundGuard, BackfillService, SalesforceSyncService],
})
export class ConnectorsModule {}
