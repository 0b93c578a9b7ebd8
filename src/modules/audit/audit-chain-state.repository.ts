import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditChainStateEntity } from './entities/audit-chain-state.entity';

/** The audit_chain_state row (one row, created by its migration). */
@Injectable()
export class AuditChainStateRepository {
  /**
   * The row, locked until the caller's transaction ends: the checkpoint is re-sealed from what was read and
   * checked, so a change made meanwhile (by an operator, or by someone tampering) waits, and is then found on the
   * next read instead of being silently overwritten.
   */
  read(manager: EntityManager): Promise<AuditChainStateEntity> {
    return manager
      .getRepository(AuditChainStateEntity)
      .findOneOrFail({ where: { id: 1 }, lock: { mode: 'pessimistic_write' } });
  }

  async save(manager: EntityManager, state: AuditChainStateEntity): Promise<void> {
    await manager.getRepository(AuditChainStateEntity).save({ ...state, id: 1 });
  }
}
