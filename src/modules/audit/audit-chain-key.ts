import { hkdfSync } from 'node:crypto';

/**
 * The key of the audit chain. It lives outside the database, so someone who can edit the database cannot
 * recompute the chain after changing it.
 *
 * AUDIT_CHAIN_KEY when set; otherwise derived from ENCRYPTION_KEY by HKDF-SHA256 under a label of its own
 * (never the encryption key itself, and not the same bytes as any other key derived from it).
 */
export const AUDIT_CHAIN_KEYS = Symbol('AUDIT_CHAIN_KEYS');

/** The HKDF label of the derived chain key: changing it would invalidate every keyed entry. */
export const CHAIN_KEY_LABEL = 'consent-gateway/audit-chain/v1';

export interface AuditChainKeys {
  /** Hashes new entries, anchors and the checkpoint. */
  current: Buffer;
  /**
   * Every key an entry may have been hashed under, current first: after AUDIT_CHAIN_KEY changes (the old one
   * listed in PREVIOUS_AUDIT_CHAIN_KEYS), after ENCRYPTION_KEY is rotated (the old one listed in
   * PREVIOUS_ENCRYPTION_KEYS), or once AUDIT_CHAIN_KEY is set on a gateway that used the derived key, older
   * entries still verify.
   */
  all: Buffer[];
  /** Where the current key came from, for the start-up line (never the key). */
  source: 'AUDIT_CHAIN_KEY' | 'derived from ENCRYPTION_KEY';
}

export function deriveChainKey(encryptionKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), CHAIN_KEY_LABEL, 32));
}

export function chainKeys(input: {
  auditChainKey: Buffer | null;
  previousAuditChainKeys?: readonly Buffer[];
  encryptionKey: Buffer;
  previousEncryptionKeys: readonly Buffer[];
}): AuditChainKeys {
  const derived = [input.encryptionKey, ...input.previousEncryptionKeys].map(deriveChainKey);
  const current = input.auditChainKey ?? derived[0];
  const all: Buffer[] = [];
  for (const key of [current, ...(input.previousAuditChainKeys ?? []), ...derived])
    if (!all.some((k) => k.equals(key))) all.push(key);
  return {
    current,
    all,
    source: input.auditChainKey ? 'AUDIT_CHAIN_KEY' : 'derived from ENCRYPTION_KEY',
  };
}
