import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsentCommandService } from './consent-command.service';
import { ConsentEventRepository } from './consent-event.repository';
import { ConsentQueryService } from './consent-query.service';
import { ConsentStateRepository } from './consent-state.repository';
import { ConsentController } from './consent.controller';
import { ConsentEventEntity } from './entities/consent-event.entity';
import { ConsentStateEntity } from './entities/consent-state.entity';
import { SubjectIdentityEntity } from './entities/subject-identity.entity';
import { SubjectEntity } from './entities/subject.entity';
import { IdentityService } from './identity.service';
import { LedgerReader } from './ledger.reader';
import { LedgerService } from './ledger.service';
import { SubjectRepository } from './subject.repository';

@Module({
  imports: [
    TypeOrmModule.forFeature([SubjectEntity, SubjectIdentityEntity, ConsentEventEntity, ConsentStateEntity]),
  ],
  controllers: [ConsentController],
  providers: [
    SubjectRepository,
    ConsentEventRepository,
    ConsentStateRepository,
    IdentityService,
    LedgerService,
    LedgerReader,
    ConsentCommandService,
    ConsentQueryService,
  ],
  exports: [LedgerService, LedgerReader, IdentityService, ConsentQueryService],
})
export class LedgerModule {}
