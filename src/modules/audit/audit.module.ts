import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AUDIT_CHAIN_KEYS, chainKeys } from './audit-chain-key';
import { AuditChainStateRepository } from './audit-chain-state.repository';
import { AuditChainUpkeep } from './audit-chain.upkeep';
import { AuditChainer } from './audit-chainer';
import { AuditController } from './audit.controller';
import { AuditFailureHook } from './audit-failure.hook';
import { AuditInterceptor } from './audit.interceptor';
import { AuditEventRepository } from './audit-event.repository';
import { AuditService } from './audit.service';
import { AuditVerifier } from './audit-verifier';
import { AuditChainStateEntity } from './entities/audit-chain-state.entity';
import { AuditEventEntity } from './entities/audit-event.entity';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity, AuditChainStateEntity])],
  controllers: [AuditController],
  providers: [
    {
      provide: AUDIT_CHAIN_KEYS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        chainKeys({
          auditChainKey: config.auditChainKey,
          previousAuditChainKeys: config.previousAuditChainKeys,
          encryptionKey: config.crypto.encryptionKey,
          previousEncryptionKeys: config.crypto.previousEncryptionKeys,
        }),
    },
    AuditEventRepository,
    AuditChainStateRepository,
    AuditChainer,
    AuditVerifier,
    AuditChainUpkeep,
    AuditService,
    AuditFailureHook,
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [AuditService],
})
export class AuditModule {}
