import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { AuditEventEntity } from './entities/audit-event.entity';
import { GENESIS_HASH, type ChainedContent, type ChainedEntry, type ChainPoint } from './audit-chain';

/**
 * Orders the one chainer (and the checkpoint's readers and writers); writers of entries never take it.
 * The same key as the former per-write lock, which no build running beside this one takes any more.
 */
const CHAIN_LOCK = 74_202;

export interface AuditFilter {
  limit: number;
  beforeSeq?: string;
  /** Part of the stored action (`vendors`, `session.login`). */
  action?: string;
  /** Any of these stored actions (an area of the "what" filter). */
  actions?: string[];
  targetId?: string;
  actorId?: string;
  /** Part of the actor's name (an email or a key's name), any case. */
  actorName?: string;
  outcome?: 'success' | 'failure';
  from?: Date;
  to?: Date;
}

/** The advisory lock namespace of "one entry per look at a person" (with a hash of actor and target). */
const VIEW_LOCK = 74_203;

/** An unchained entry getting its place and hashes. */
export interface ChainLink {
  seq: string;
  chain_seq: string;
  prev_hash: string;
  hash: string;
}

/** The audit_event table: append, chain once, read (the database refuses anything else). */
@Injectable()
export class AuditEventRepository {
  constructor(@InjectRepository(AuditEventEntity) private readonly repo: Repository<AuditEventEntity>) {}

  /** Runs `work` in a transaction of its own, or in the caller's. */
  inTransaction<T>(work: (manager: EntityManager) => Promise<T>, manager?: EntityManager): Promise<T> {
    return manager ? work(manager) : this.repo.manager.transaction(work);
  }

  /** raw SQL: a transaction-scoped advisory lock. Runs `work` in a transaction holding the chain lock. */
  withChainLock<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [CHAIN_LOCK]);
      return work(manager);
    });
  }

  /**
   * raw SQL: the append, one INSERT and nothing else, so concurrent writers never wait on each other. The
   * time is the database's clock; place and hashes come later, from the chainer.
   */
  async append(manager: EntityManager, content: Omit<ChainedContent, 'id' | 'at'>): Promise<string> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO audit_event (at, actor_type, actor_id, actor_name, action, target_type, target_id, ip, outcome,
          details) VALUES (clock_timestamp(),$1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id`,
      [
        content.actor_type,
        content.actor_id,
        content.actor_name,
        content.action,
        content.target_type,
        content.target_id,
        content.ip,
        content.outcome,
        JSON.stringify(content.details),
      ],
    );
    return rows[0].id;
  }

  /** The newest entries first, filtered. */
  page(filter: AuditFilter): Promise<AuditEventEntity[]> {
    const query = this.repo.createQueryBuilder('e').orderBy('e.seq', 'DESC').limit(filter.limit);
    if (filter.beforeSeq) query.andWhere('e.seq < :before', { before: filter.beforeSeq });
    if (filter.action) query.andWhere(`e.action ILIKE '%' || :action || '%'`, { action: filter.action });
    if (filter.targetId) query.andWhere('e.target_id = :targetId', { targetId: filter.targetId });
    if (filter.actorId) query.andWhere('e.actor_id = :actorId', { actorId: filter.actorId });
    if (filter.actions) query.andWhere('e.action IN (:...actions)', { actions: [...filter.actions, ''] });
    if (filter.actorName)
      query.andWhere(`e.actor_name ILIKE '%' || :actorName || '%'`, { actorName: filter.actorName });
    if (filter.outcome) query.andWhere('e.outcome = :outcome', { outcome: filter.outcome });
    if (filter.from) query.andWhere('e.at >= :from', { from: filter.from });
    if (filter.to) query.andWhere('e.at < :to', { to: filter.to });
    return query.getMany();
  }

  /**
   * raw SQL: whether `actorId` has a successful entry about `target` from less than `windowMs` ago. Takes a
   * transaction-scoped lock on the pair first, so two parallel reads decide one after the other.
   */
  async recentlyRecorded(
    manager: EntityManager,
    actorId: string,
    target: { type: string; id: string },
    windowMs: number,
  ): Promise<boolean> {
    await manager.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [
      VIEW_LOCK,
      `${actorId}/${target.id}`,
    ]);
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM audit_event WHERE target_type = $1 AND target_id = $2 AND actor_id = $3
         AND outcome = 'success' AND at > clock_timestamp() - make_interval(secs => $4) LIMIT 1`,
      [target.type, target.id, actorId, windowMs / 1000],
    );
    return rows.length > 0;
  }

  /** The last chained entry's place and hash (the genesis before the first). */
  async head(manager: EntityManager): Promise<ChainPoint> {
    const last = await manager
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .select(['e.chain_seq', 'e.hash'])
      .where('e.chain_seq IS NOT NULL')
      .orderBy('e.chain_seq', 'DESC')
      .limit(1)
      .getOne();
    return last
      ? { position: Number(last.chain_seq), hash: last.hash as string }
      : { position: 0, hash: GENESIS_HASH };
  }

  /** Up to `limit` entries not chained yet, by their number. */
  unchained(manager: EntityManager, limit: number): Promise<AuditEventEntity[]> {
    return manager
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.chain_seq IS NULL')
      .orderBy('e.seq', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** raw SQL: one UPDATE for a whole batch of links (the only update the table's trigger lets through). */
  async link(manager: EntityManager, links: readonly ChainLink[]): Promise<void> {
    if (links.length === 0) return;
    await manager.query(
      `UPDATE audit_event e SET chain_seq = l.chain_seq, prev_hash = l.prev_hash, hash = l.hash
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS l(seq, chain_seq, prev_hash, hash)
       WHERE e.seq = l.seq AND e.chain_seq IS NULL`,
      [
        links.map((l) => l.seq),
        links.map((l) => l.chain_seq),
        links.map((l) => l.prev_hash),
        links.map((l) => l.hash),
      ],
    );
  }

  /** Up to `limit` chained entries after place `after`, in chain order. */
  async chainedAfter(after: number, limit: number, manager?: EntityManager): Promise<ChainedEntry[]> {
    const rows = await (manager ?? this.repo.manager)
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.chain_seq > :after', { after })
      .orderBy('e.chain_seq', 'ASC')
      .limit(limit)
      .getMany();
    return rows as ChainedEntry[];
  }

  /** The chained entry at place `position`, if any. */
  async chainedAt(position: number, manager?: EntityManager): Promise<ChainedEntry | null> {
    const row = await (manager ?? this.repo.manager)
      .getRepository(AuditEventEntity)
      .findOne({ where: { chain_seq: String(position) } });
    return row as ChainedEntry | null;
  }
}
