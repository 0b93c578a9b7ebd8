import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type EntityManager, type Repository } from 'typeorm';
import { LedgerRewriteEntity } from './entities/ledger-rewrite.entity';

/** A ledger event as a rewrite sees it: its idempotency key and its clear evidence. */
export interface RewritableEvent {
  id: string;
  sourceEventId: string;
  evidence: Record<string, unknown>;
}

/** The rewrites migrations asked for (ledger_rewrite) and the statements that rewrite events (consent_event). */
@Injectable()
export class LedgerRewriteRepository {
  constructor(
    @InjectRepository(LedgerRewriteEntity) private readonly rewrites: Repository<LedgerRewriteEntity>,
  ) {}

  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.rewrites.manager.transaction(fn);
  }

  isPending(name: string): Promise<boolean> {
    return this.rewrites.exists({ where: { name, completedAt: IsNull() } });
  }

  async complete(name: string, rewritten: number): Promise<void> {
    await this.rewrites.update({ name }, { completedAt: () => 'now()', rewritten });
  }

  /** raw SQL: a keyset page (by id) of one source's events, in the ledger's own column names. */
  async page(
    manager: EntityManager,
    source: string,
    afterId: string | null,
    limit: number,
  ): Promise<RewritableEvent[]> {
    const rows: { id: string; source_event_id: string; evidence: Record<string, unknown> }[] =
      await manager.query(
        `SELECT id, source_event_id, evidence FROM consent_event
          WHERE source = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3`,
        [source, afterId, limit],
      );
    return rows.map((r) => ({ id: r.id, sourceEventId: r.source_event_id, evidence: r.evidence }));
  }

  /** Which of these idempotency keys of a source are already in the ledger. */
  async takenAmong(
    manager: EntityManager,
    source: string,
    sourceEventIds: readonly string[],
  ): Promise<Set<string>> {
    if (sourceEventIds.length === 0) return new Set();
    const rows: { source_event_id: string }[] = await manager.query(
      `SELECT source_event_id FROM consent_event WHERE source = $1 AND source_event_id = ANY($2::text[])`,
      [source, sourceEventIds],
    );
    return new Set(rows.map((r) => r.source_event_id));
  }

  /**
   * Replaces the idempotency key and the clear evidence of these events. The append-only trigger allows it only
   * under consent_gateway.erasure, the ledger's one sanctioned rewrite (as erasure pseudonymises API clients' ids),
   * set for this statement's span and cleared again.
   * raw SQL: set_config has no TypeORM API, and the batch is one UPDATE from unnest.
   */
  async rewrite(manager: EntityManager, events: readonly RewritableEvent[]): Promise<void> {
    if (events.length === 0) return;
    await manager.query(`SELECT set_config('consent_gateway.erasure', 'on', true)`);
    try {
      await manager.query(
        `UPDATE consent_event e SET source_event_id = v.source_event_id, evidence = v.evidence
           FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS v(id, source_event_id, evidence) WHERE e.id = v.id`,
        [
          events.map((e) => e.id),
          events.map((e) => e.sourceEventId),
          events.map((e) => JSON.stringify(e.evidence)),
        ],
      );
    } finally {
      await manager.query(`SELECT set_config('consent_gateway.erasure', 'off', true)`);
    }
  }
}
