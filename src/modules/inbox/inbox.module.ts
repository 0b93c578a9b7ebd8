import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InboxEntity } from './entities/inbox.entity';
import { InboxController } from './inbox.controller';
import { InboxRepository } from './inbox.repository';
import { InboxService } from './inbox.service';
import { InboxWorker } from './inbox.worker';
import { InboxWriter } from './inbox.writer';
import { InboxSealedColumns } from './inbox-sealed-columns';

@Module({
  imports: [TypeOrmModule.forFeature([InboxEntity])],
  controllers: [InboxController],
  providers: [
    // keys:rotate and keys:status reach this module's encrypted columns through it.
    InboxSealedColumns,
    InboxRepository,
    InboxWriter,
    InboxService,
    InboxWorker,
  ],
  exports: [InboxWriter, InboxService],
})
export class InboxModule {}
