import { createHash } from 'node:crypto';

/**
 * The audit log's hash chain, as pure functions: each entry's hash covers its content and the previous
 * entry's hash, so removing, reordering or editing an entry breaks the chain from there on.
 */

export type ActorType = 'api_key' | 'user' | 'system' | 'anonymous';

/** The content of an entry that its hash covers. */
export interface ChainedContent {
  id: string;
  at: Date | string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

/** An entry as stored: its content, its place, and the hashes that link it. */
export interface ChainedEntry extends ChainedContent {
  seq: string;
  prev_hash: string;
  hash: string;
}

/** The previous hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Key order is fixed so the same row always hashes to the same value. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/** The hash of an entry following `prevHash`. */
export function auditHash(prevHash: string, row: ChainedContent): string {
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

export type ChainCheck =
  | { valid: true; checked: number; lastHash: string }
  | { valid: false; checked: number; firstBrokenSeq: number };

/**
 * Checks consecutive entries (in seq order) that follow `prevHash`: each must name the hash before it
 * and hash to what it says. Reports the first entry that does not follow.
 */
export function verifyChain(entries: readonly ChainedEntry[], prevHash = GENESIS_HASH): ChainCheck {
  let prev = prevHash;
  let checked = 0;
  for (const entry of entries) {
    if (entry.prev_hash !== prev || auditHash(prev, entry) !== entry.hash) {
      return { valid: false, checked, firstBrokenSeq: Number(entry.seq) };
    }
    prev = entry.hash;
    checked++;
  }
  return { valid: true, checked, lastHash: prev };
}
