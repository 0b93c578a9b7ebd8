import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';

export type ActorType = 'api_key' | 'user' | 'system' | 'anonymous';

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

interface AuditRow {
  seq: string;
  id: string;
  at: Date;
  actor_type: ActorType;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  outcome: string;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
const CHAIN_LOCK = 74_202;

/** Key order is fixed so the same row always hashes to the same value. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

export function auditHash(prevHash: string, row: Omit<AuditRow, 'seq' | 'hash' | 'prev_hash'>): string {
  const content = canonical({
    id: row.id,
    at: new Date(row.at).toISOString(),
    actor_type: row.actor_type,
    actor_id: row.actor_id,
    actor_name: row.actor_name,
    action: row.action,
    target_type: row.target_type,
    target_id: row.target_id,
    ip: row.ip,
    outcome: row.outcome,
    details: row.details,
  });
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

/**
 * The audit log: who did what, when, from where. Append-only (a trigger) and hash-chained: each entry's
 * hash covers the previous one, so a removed or altered entry is detected by `verify`.
 */
@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  async record(entry: AuditEntry, manager?: EntityManager): Promise<string> {
    const write = async (m: EntityManager) => {
      // Entries are chained one at a time: the lock orders concurrent writers.
      await m.query(`SELECT pg_advisory_xact_lock($1)`, [CHAIN_LOCK]);
      const last: { hash: string }[] = await m.query(
        `SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1`,
      );
      const prev = last[0]?.hash ?? GENESIS_HASH;
      const ids: { id: string; at: Date }[] = await m.query(
        `SELECT gen_random_uuid() AS id, clock_timestamp() AS at`,
      );
      const row = {
        id: ids[0].id,
        at: new Date(ids[0].at),
        actor_type: entry.actor.type,
        actor_id: entry.actor.id,
        actor_name: entry.actor.name,
        action: entry.action.slice(0, 200),
        target_type: entry.target?.type ?? null,
        target_id: entry.target?.id ?? null,
        ip: entry.ip ?? null,
        outcome: entry.outcome ?? 'success',
        details: entry.details ?? {},
      };
      const hash = auditHash(prev, row);
      await m.query(
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
          prev,
          hash,
        ],
      );
      return row.id;
    };
    return manager ? write(manager) : this.dataSource.transaction(write);
  }

  async list(query: {
    limit: number;
    beforeSeq?: string;
    action?: string;
    targetId?: string;
    actorId?: string;
  }) {
    const rows: AuditRow[] = await this.dataSource.query(
      `SELECT * FROM audit_event WHERE ($1::bigint IS NULL OR seq < $1) AND ($2::text IS NULL OR action ILIKE '%' || $2 || '%')
          AND ($3::text IS NULL OR target_id = $3) AND ($4::text IS NULL OR actor_id = $4)
        ORDER BY seq DESC LIMIT $5`,
      [
        query.beforeSeq ?? null,
        query.action ?? null,
        query.targetId ?? null,
        query.actorId ?? null,
        query.limit,
      ],
    );
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
      const rows: AuditRow[] = await this.dataSource.query(
        `SELECT * FROM audit_event WHERE seq > $1 ORDER BY seq LIMIT 5000`,
        [after],
      );
      if (rows.length === 0) return { valid: true, checked, first_broken_seq: null };
      for (const row of rows) {
        if (row.prev_hash !== prev || auditHash(prev, row) !== row.hash) {
          return { valid: false, checked, first_broken_seq: Number(row.seq) };
        }
        prev = row.hash;
        checked++;
      }
      after = rows[rows.length - 1].seq;
    }
  }
}
