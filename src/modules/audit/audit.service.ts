import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { GENESIS_HASH, verifyChain, type ActorType } from './audit-chain';
import { AuditEventRepository } from './audit-event.repository';

export type { ActorType } from './audit-chain';

/** Entries verified per read while walking the chain. */
const VERIFY_BATCH = 5000;

export interface AuditActor {
  type: ActorType;
  id: string | null;
  name: string | null;
}

export interface AuditEntry {
  actor: AuditActor;
  /** What happened, e.g. `POST /v1/connections` or `person.lookup`. */
  action: string;
  target?: { type: string; id: string | null } | null;
  ip?: string | null;
  outcome?: 'success' | 'failure';
  /** Never personal data of data subjects: ids and field names, not values. */
  details?: Record<string, unknown>;
}

/**
 * The audit log: who did what, when, from where. Append-only (a trigger) and hash-chained: each entry's
 * hash covers the previous one, so a removed or altered entry is detected by `verify`.
 */
@Injectable()
export class AuditService {
  constructor(private readonly events: AuditEventRepository) {}

  async record(entry: AuditEntry, manager?: EntityManager): Promise<string> {
    return this.events.inTransaction(
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
  }

  async list(query: {
    limit: number;
    beforeSeq?: string;
    action?: string;
    targetId?: string;
    actorId?: string;
  }) {
    const rows = await this.events.page(query);
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      at: new Date(r.at).toISOString(),
      actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name },
      action: r.action,
      target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
      ip: r.ip,
      outcome: r.outcome,
      details: r.details,
      hash: r.hash,
    }));
  }

  /** Walks the whole chain in order; reports the first entry whose hash does not follow. */
  async verify(): Promise<{ valid: boolean; checked: number; first_broken_seq: number | null }> {
    let prev = GENESIS_HASH;
    let after = '0';
    let checked = 0;
    for (;;) {
      const rows = await this.events.after(after, VERIFY_BATCH);
      if (rows.length === 0) return { valid: true, checked, first_broken_seq: null };
      const batch = verifyChain(rows, prev);
      checked += batch.checked;
      if (!batch.valid) return { valid: false, checked, first_broken_seq: batch.firstBrokenSeq };
      prev = batch.lastHash;
      after = rows[rows.length - 1].seq;
    }
  }
}
