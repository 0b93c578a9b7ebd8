import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditChainStateEntity } from './entities/audit-chain-state.entity';

/** The audit_chain_state row (one row, created by its migration). */
@Injectable()
export class AuditChainStateRepository {
  read(manager: EntityManager): Promise<AuditChainStateEntity> {
    return manager.getRepository(AuditChainStateEntity).findOneOrFail({ where: { id: 1 } });
  }

  async save(manager: EntityManager, state: AuditChainStateEntity): Promise<void> {
    await manager.getRepository(AuditChainStateEntity).save({ ...state, id: 1 });
  }
}
