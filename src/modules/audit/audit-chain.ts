import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The audit log's chain, as pure functions. Each entry's hash covers its content, its place and the previous
 * entry's hash, so removing, reordering or editing an entry breaks the chain from there on.
 *
 * Two schemes, one after the other in the same chain:
 * - legacy: SHA-256, unkeyed. Entries written before the keyed chain existed (up to `legacyThrough`) keep it.
 *   Anyone with database access could recompute such a chain, which is why new entries are keyed.
 * - keyed: HMAC-SHA256 under the audit chain key, which lives outside the database (AUDIT_CHAIN_KEY).
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

/** An entry as stored once chained: its content, its number, its place in the chain and its links. */
export interface ChainedEntry extends ChainedContent {
  /** The entry's number, given at insert (bigserial): commit order may differ from it. */
  seq: string;
  /** The entry's place in the chain (1, 2, 3, …), given by the chainer in the order it met the entries. */
  chain_seq: string;
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

function contentOf(row: ChainedContent): Record<string, unknown> {
  return {
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
  };
}

/** The legacy (unkeyed SHA-256) hash of an entry following `prevHash`; only verified, never written. */
export function auditHash(prevHash: string, row: ChainedContent): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonical(contentOf(row)))
    .digest('hex');
}

/**
 * The keyed hash of an entry following `prevHash`. Its number and its place are covered too, so an entry
 * cannot be moved, and a label keeps these MACs apart from every other use of the key (anchors, the
 * checkpoint).
 */
export function keyedAuditHash(
  key: Buffer,
  prevHash: string,
  row: ChainedContent & { seq: string; chain_seq: string },
): string {
  return createHmac('sha256', key)
    .update('cg-audit-entry-v2\n')
    .update(prevHash)
    .update('\n')
    .update(canonical({ ...contentOf(row), seq: String(row.seq), chain_seq: String(row.chain_seq) }))
    .digest('hex');
}

/** The labels of the other MACs made with the chain key. */
export const ANCHOR_LABEL = 'cg-audit-anchor-v1';
export const STATE_LABEL = 'cg-audit-state-v1';

/** An HMAC-SHA256 under `key` over labelled fields, in hex; for anchors and the checkpoint. */
export function labelledMac(key: Buffer, label: string, fields: readonly (string | number)[]): string {
  return createHmac('sha256', key)
    .update(`${label}\n${fields.join('\n')}`)
    .digest('hex');
}

/** Whether `mac` is `labelledMac(label, fields)` under one of `keys` (constant time per key). */
export function macMatches(
  keys: readonly Buffer[],
  label: string,
  fields: readonly (string | number)[],
  mac: string,
): boolean {
  if (!/^[0-9a-f]{64}$/.test(mac)) return false;
  const given = Buffer.from(mac, 'hex');
  return keys.some((key) => timingSafeEqual(Buffer.from(labelledMac(key, label, fields), 'hex'), given));
}

/** Why an entry does not follow: a place skipped, a wrong link, or content that does not hash to its hash. */
export type BreakReason = 'gap' | 'link' | 'hash';

export type ChainCheck =
  | { valid: true; checked: number; lastHash: string; lastPosition: number }
  | { valid: false; checked: number; firstBrokenSeq: number; brokenId: string; reason: BreakReason };

export interface ChainPoint {
  /** The place the next entry must take minus one (0 before the first entry). */
  position: number;
  hash: string;
}

export interface ChainRules {
  /** Entries at places up to this one are legacy (unkeyed SHA-256)… */
  legacyThrough: number;
  /** …and the last of them has this hash, recorded when the keyed chain began. */
  legacyHead: string;
  /** Keys a keyed entry may be hashed under: the current one first, then older ones still trusted. */
  keys: readonly Buffer[];
}

/** Whether `entry`'s hash is what its scheme computes after `prev`. */
export function entryHashMatches(entry: ChainedEntry, prev: string, rules: ChainRules): boolean {
  const position = Number(entry.chain_seq);
  if (position === rules.legacyThrough && entry.hash !== rules.legacyHead) return false;
  if (position <= rules.legacyThrough) return auditHash(prev, entry) === entry.hash;
  return rules.keys.some((key) => keyedAuditHash(key, prev, entry) === entry.hash);
}

/**
 * Checks consecutive entries (in chain order) that follow `from`: each must take the next place, name the
 * hash before it and hash to what it says. Reports the first entry that does not follow.
 */
export function verifyChain(
  entries: readonly ChainedEntry[],
  rules: ChainRules,
  from: ChainPoint = { position: 0, hash: GENESIS_HASH },
): ChainCheck {
  let prev = from.hash;
  let position = from.position;
  let checked = 0;
  for (const entry of entries) {
    const reason: BreakReason | null =
      Number(entry.chain_seq) !== position + 1
        ? 'gap'
        : entry.prev_hash !== prev
          ? 'link'
          : entryHashMatches(entry, prev, rules)
            ? null
            : 'hash';
    if (reason) {
      return { valid: false, checked, firstBrokenSeq: Number(entry.seq), brokenId: entry.id, reason };
    }
    prev = entry.hash;
    position++;
    checked++;
  }
  return { valid: true, checked, lastHash: prev, lastPosition: position };
}
