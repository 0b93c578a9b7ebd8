import { Module } from '@nestjs/common';
import { ConsentChangeListener } from './consent-change.listener';
import { ConsentCommandService } from './consent-command.service';
import { ConsentQueryService } from './consent-query.service';
import { ConsentController } from './consent.controller';
import { IdentityService } from './identity.service';
import { LedgerService } from './ledger.service';

@Module({
  controllers: [ConsentController],
  providers: [
    IdentityService,
    LedgerService,
    ConsentCommandService,
    ConsentQueryService,
    ConsentChangeListener,
  ],
  exports: [LedgerService, IdentityService, ConsentQueryService, ConsentChangeListener],
})
export class LedgerModule {}
