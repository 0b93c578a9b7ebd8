import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { InboxController } from './inbox.controller';
import { InboxService } from './inbox.service';
import { InboxWorker } from './inbox.worker';
import { InboxWriter } from './inbox.writer';

@Module({
  imports: [LedgerModule],
  controllers: [InboxController],
  providers: [InboxWriter, InboxService, InboxWorker],
  exports: [InboxWriter, InboxService],
})
export class InboxModule {}
