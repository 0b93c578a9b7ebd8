import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ActorType } from './audit-chain';
import { AuditChainUpkeep } from './audit-chain.upkeep';
import { AuditEventRepository } from './audit-event.repository';
import { AuditVerifier, type Anchor, type AnchorCheck, type ChainReport } from './audit-verifier';
import { actionArea, actionWords, outcomeOf } from './audit-actions';
import type { AuditFilter } from './audit-event.repository';
import type { AuditEventEntity } from './entities/audit-event.entity';

export type { ActorType } from './audit-chain';

export interface AuditActor {
  type: ActorType;
  id: string | null;
  name: string | null;
}

export interface AuditEntry {
  actor: AuditActor;
  /** What happened, e.g. `POST /v1/connections` or `person.timeline` (named in words by audit-actions.ts). */
  action: string;
  target?: { type: string; id: string | null } | null;
  ip?: string | null;
  outcome?: 'success' | 'failure';
  /** Never personal data of data subjects: ids and field names, not values. */
  details?: Record<string, unknown>;
}

/**
 * The audit log: who did what, when, from where. Append-only (a trigger) and chained under a key kept outside
 * the database: each entry's hash covers the previous one, so a removed or altered entry is detected by
 * `verify`, and removing the newest ones by checking an exported anchor.
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly events: AuditEventRepository,
    private readonly verifier: AuditVerifier,
    private readonly upkeep: AuditChainUpkeep,
  ) {}

  /**
   * Appends an entry, in the caller's transaction when given (committed with the action it records). It is
   * chained shortly after, in the background: writers never wait on each other.
   */
  async record(entry: AuditEntry, manager?: EntityManager): Promise<string> {
    const id = await this.events.inTransaction(
      (m) =>
        this.events.append(m, {
          actor_type: entry.actor.type,
          actor_id: entry.actor.id,
          actor_name: entry.actor.name,
          action: entry.action.slice(0, 200),
          target_type: entry.target?.type ?? null,
          target_id: entry.target?.id ?? null,
          ip: entry.ip ?? null,
          outcome: entry.outcome ?? 'success',
          details: entry.details ?? {},
        }),
      manager,
    );
    this.upkeep.kick();
    return id;
  }

  /**
   * Appends an entry unless the same actor already has an entry with this target from less than `windowMs`
   * ago: one look at a person (a page reading several endpoints) is one entry. Decided under an advisory lock
   * per actor and target, so parallel reads do not both write.
   */
  async recordOnceWithin(entry: AuditEntry, windowMs: number): Promise<string | null> {
    const target = entry.target;
    if (!target?.id || !entry.actor.id) return this.record(entry);
    const pair = { type: target.type, id: target.id };
    const id = await this.events.inTransaction(async (m) => {
      if (await this.events.recentlyRecorded(m, entry.actor.id as string, pair, windowMs)) return null;
      return this.events.append(m, {
        actor_type: entry.actor.type,
        actor_id: entry.actor.id,
        actor_name: entry.actor.name,
        action: entry.action.slice(0, 200),
        target_type: entry.target?.type ?? null,
        target_id: target.id,
        ip: entry.ip ?? null,
        outcome: entry.outcome ?? 'success',
        details: entry.details ?? {},
      });
    });
    if (id) this.upkeep.kick();
    return id;
  }

  async list(query: AuditFilter) {
    const rows = await this.events.page(query);
    return rows.map(viewOf);
  }

  /** Verifies what was added since the last verification (from the stored checkpoint). */
  verify(): Promise<ChainReport> {
    return this.verifier.incremental();
  }

  /** Verifies the whole chain from its first entry. */
  verifyFull(): Promise<ChainReport> {
    return this.verifier.full();
  }

  anchor(): Promise<Anchor> {
    return this.verifier.anchor();
  }

  checkAnchor(anchor: Anchor): Promise<AnchorCheck> {
    return this.verifier.checkAnchor(anchor);
  }
}

/** An entry as the API shows it: the stored facts, and the action and its outcome in words. */
export function viewOf(r: AuditEventEntity) {
  const details = r.details ?? {};
  const status = typeof details.status === 'number' ? details.status : null;
  const targetName = typeof details.target_name === 'string' ? details.target_name : null;
  const outcome = outcomeOf(r.outcome, status, details.reason);
  return {
    seq: Number(r.seq),
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name },
    action: r.action,
    action_words: actionWords(r.action, targetName, r.outcome),
    area: actionArea(r.action),
    target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
    ip: r.ip,
    outcome: r.outcome,
    result: outcome.result,
    result_words: outcome.words,
    status,
    details,
    chain_seq: r.chain_seq === null ? null : Number(r.chain_seq),
    hash: r.hash,
  };
}
