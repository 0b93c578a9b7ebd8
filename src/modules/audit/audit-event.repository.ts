import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, MoreThan, type Repository } from 'typeorm';
import { AuditEventEntity } from './entities/audit-event.entity';
import { auditHash, GENESIS_HASH, type ChainedContent, type ChainedEntry } from './audit-chain';

/** Orders concurrent writers of the chain (an advisory lock key of its own). */
const CHAIN_LOCK = 74_202;

export interface AuditFilter {
  limit: number;
  beforeSeq?: string;
  action?: string;
  targetId?: string;
  actorId?: string;
}

/** The audit_event table: append and read only (the database refuses anything else). */
@Injectable()
export class AuditEventRepository {
  constructor(@InjectRepository(AuditEventEntity) private readonly repo: Repository<AuditEventEntity>) {}

  /** Runs `work` in a transaction of its own, or in the caller's. */
  inTransaction<T>(work: (manager: EntityManager) => Promise<T>, manager?: EntityManager): Promise<T> {
    return manager ? work(manager) : this.repo.manager.transaction(work);
  }

  /**
   * raw SQL: the chain append. The advisory lock orders writers; the last hash, a fresh id and the
   * database's clock are read under it, and the entry is inserted linked to that hash.
   */
  async append(manager: EntityManager, content: Omit<ChainedContent, 'id' | 'at'>): Promise<string> {
    await manager.query(`SELECT pg_advisory_xact_lock($1)`, [CHAIN_LOCK]);
    const last: { hash: string }[] = await manager.query(
      `SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1`,
    );
    const prevHash = last[0]?.hash ?? GENESIS_HASH;
    const ids: { id: string; at: Date }[] = await manager.query(
      `SELECT gen_random_uuid() AS id, clock_timestamp() AS at`,
    );
    const row: ChainedContent = { id: ids[0].id, at: new Date(ids[0].at), ...content };
    const hash = auditHash(prevHash, row);
    await manager.query(
      `INSERT INTO audit_event (id, at, actor_type, actor_id, actor_name, action, target_type, target_id, ip, outcome,
          details, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
      [
        row.id,
        row.at,
        row.actor_type,
        row.actor_id,
        row.actor_name,
        row.action,
        row.target_type,
        row.target_id,
        row.ip,
        row.outcome,
        JSON.stringify(row.details),
        prevHash,
        hash,
      ],
    );
    return row.id;
  }

  /** The newest entries first, filtered. */
  page(filter: AuditFilter): Promise<ChainedEntry[]> {
    const query = this.repo.createQueryBuilder('e').orderBy('e.seq', 'DESC').limit(filter.limit);
    if (filter.beforeSeq) query.andWhere('e.seq < :before', { before: filter.beforeSeq });
    if (filter.action) query.andWhere(`e.action ILIKE '%' || :action || '%'`, { action: filter.action });
    if (filter.targetId) query.andWhere('e.target_id = :targetId', { targetId: filter.targetId });
    if (filter.actorId) query.andWhere('e.actor_id = :actorId', { actorId: filter.actorId });
    return query.getMany();
  }

  /** Up to `limit` entries after `afterSeq`, in chain order. */
  after(afterSeq: string, limit: number): Promise<ChainedEntry[]> {
    return this.repo.find({ where: { seq: MoreThan(afterSeq) }, order: { seq: 'ASC' }, take: limit });
  }
}
