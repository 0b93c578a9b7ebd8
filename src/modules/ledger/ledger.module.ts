import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InboxModule } from '../inbox';
import { RelayModule } from '../relay';
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
import { ConsentBatchRecorder } from './consent-batch.recorder';
import { LedgerService } from './ledger.service';
import { SubjectRepository } from './subject.repository';
import { SubjectMergeRepository } from './subject-merge.repository';
import { SubjectMergeService } from './subject-merge.service';
import { SubjectTimelineService } from './subject-timeline.service';
import { SubjectKeyEntity } from './entities/subject-key.entity';
import { SuppressionEntity } from './entities/suppression.entity';
import { SubjectErasureRepository } from './subject-erasure.repository';
import { SubjectErasureService } from './subject-erasure.service';
import { SubjectKeyRepository } from './subject-key.repository';
import { SubjectKeyService } from './subject-keys.service';
import { SubjectIdentityWriter } from './subject-identity.writer';
import { SubjectRectificationService } from './subject-rectification.service';
import { SubjectRestrictionService } from './subject-restriction.service';
import { SubjectRightsRepository } from './subject-rights.repository';
import { SuppressionRepository } from './suppression.repository';
import { LedgerSealedColumns } from './ledger-sealed-columns';
import { LedgerRewriteEntity } from './entities/ledger-rewrite.entity';
import { LedgerRewriteRepository } from './ledger-rewrite.repository';
import { LedgerRewrites } from './ledger-rewrites.service';

@Module({
  imports: [
    InboxModule,
    RelayModule,
    TypeOrmModule.forFeature([
      SubjectEntity,
      SubjectIdentityEntity,
      ConsentEventEntity,
      ConsentStateEntity,
      SubjectMergeEntity,
      SubjectKeyEntity,
      SuppressionEntity,
      LedgerRewriteEntity,
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
    ConsentBatchRecorder,
    LedgerReader,
    ConsentCommandService,
    ConsentQueryService,
    SubjectTimelineService,
    SubjectKeyRepository,
    SubjectKeyService,
    SubjectIdentityWriter,
    SuppressionRepository,
    SubjectErasureRepository,
    SubjectErasureService,
    SubjectRightsRepository,
    SubjectRestrictionService,
    SubjectRectificationService,
    LedgerSealedColumns,
    LedgerRewriteRepository,
    LedgerRewrites,
  ],
  exports: [
    LedgerService,
    ConsentBatchRecorder,
    LedgerReader,
    IdentityService,
    ConsentQueryService,
    SubjectErasureService,
    SubjectRestrictionService,
    SubjectRectificationService,
    LedgerRewrites,
  ],
})
export class LedgerModule {}
