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
import { SubjectMergeEntity } from './entities/subject-merge.entity';
import { SubjectEntity } from './entities/subject.entity';
import { IdentityService } from './identity.service';
import { LedgerReader } from './ledger.reader';
import { LedgerService } from './ledger.service';
import { SubjectRepository } from './subject.repository';
import { SubjectMergeRepository } from './subject-merge.repository';
import { SubjectMergeService } from './subject-merge.service';
import { SubjectTimelineService } from './subject-timeline.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      SubjectEntity,
      SubjectIdentityEntity,
      ConsentEventEntity,
      ConsentStateEntity,
      SubjectMergeEntity,
    ]),
  ],
  controllers: [ConsentController],
  providers: [
    SubjectRepository,
    SubjectMergeRepository,
    SubjectMergeService,
    ConsentEventRepository,
    ConsentStateRepository,
    IdentityService,
    LedgerService,
    LedgerReader,
    ConsentCommandService,
    ConsentQueryService,
    SubjectTimelineService,
  ],
  exports: [LedgerService, LedgerReader, IdentityService, ConsentQueryService],
})
export class LedgerModule {}
