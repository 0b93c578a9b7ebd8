import { Module } from '@nestjs/common';
import { InboxModule } from '../inbox';
import { LedgerModule } from '../ledger';
import { WhatsAppController } from './whatsapp.controller';
import { WhatsAppInboxHandler } from './whatsapp-inbox.handler';
import { WhatsAppIntake } from './whatsapp-intake';
import { WamidPseudonymisation } from './wamid-pseudonymisation';

@Module({
  imports: [InboxModule, LedgerModule],
  controllers: [WhatsAppController],
  providers: [WhatsAppIntake, WhatsAppInboxHandler, WamidPseudonymisation],
  exports: [WamidPseudonymisation],
})
export class WhatsAppModule {}
