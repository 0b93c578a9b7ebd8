import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InboxEntity } from './entities/inbox.entity';
import { InboxController } from './inbox.controller';
import { InboxRepository } from './inbox.repository';
import { InboxService } from './inbox.service';
import { InboxWorker } from './inbox.worker';
import { InboxWriter } from './inbox.writer';

@Module({
  imports: [TypeOrmModule.forFeature([InboxEntity])],
  controllers: [InboxController],
  providers: [InboxRepository, InboxWriter, InboxService, InboxWorker],
  exports: [InboxWriter, InboxService],
})
export class InboxModule {}
