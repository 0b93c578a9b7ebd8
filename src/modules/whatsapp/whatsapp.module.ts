import { Module } from '@nestjs/common';
import { InboxModule } from '../inbox/inbox.module';
import { LedgerModule } from '../ledger/ledger.module';
import { WhatsAppController } from './whatsapp.controller';
import { WhatsAppInboxHandler } from './whatsapp-inbox.handler';

@Module({
  imports: [InboxModule, LedgerModule],
  controllers: [WhatsAppController],
  providers: [WhatsAppInboxHandler],
})
export class WhatsAppModule {}
