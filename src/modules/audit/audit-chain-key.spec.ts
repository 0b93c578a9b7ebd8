import { randomBytes } from 'node:crypto';
import { chainKeys, deriveChainKey } from './audit-chain-key';

describe(chainKeys.name, () => {
  const encryptionKey = randomBytes(32);
  const previous = randomBytes(32);

  it('uses AUDIT_CHAIN_KEY when given', () => {
    const auditChainKey = randomBytes(32);
    const keys = chainKeys({ auditChainKey, encryptionKey, previousEncryptionKeys: [] });
    expect(keys.current).toEqual(auditChainKey);
    expect(keys.source).toBe('AUDIT_CHAIN_KEY');
  });

  it('otherwise derives a 32-byte key from ENCRYPTION_KEY that is not the encryption key itself', () => {
    const keys = chainKeys({ auditChainKey: null, encryptionKey, previousEncryptionKeys: [] });
    expect(keys.current).toHaveLength(32);
    expect(keys.current.equals(encryptionKey)).toBe(false);
    expect(keys.current).toEqual(deriveChainKey(encryptionKey));
    expect(keys.source).toBe('derived from ENCRYPTION_KEY');
  });

  it('derives the same key on every start', () => {
    expect(deriveChainKey(Buffer.from(encryptionKey))).toEqual(deriveChainKey(encryptionKey));
  });

  it('still trusts keys derived from previous encryption keys, and the derived key once AUDIT_CHAIN_KEY is set', () => {
    const auditChainKey = randomBytes(32);
    const keys = chainKeys({ auditChainKey, encryptionKey, previousEncryptionKeys: [previous] });
    expect(keys.all).toEqual([auditChainKey, deriveChainKey(encryptionKey), deriveChainKey(previous)]);
  });

  it('trusts previous chain keys for verification, while hashing with the current one', () => {
    const [auditChainKey, former] = [randomBytes(32), randomBytes(32)];
    const keys = chainKeys({
      auditChainKey,
      previousAuditChainKeys: [former],
      encryptionKey,
      previousEncryptionKeys: [],
    });
    expect(keys.current).toEqual(auditChainKey);
    expect(keys.all.slice(0, 2)).toEqual([auditChainKey, former]);
  });
});
