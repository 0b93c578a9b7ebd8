import { randomBytes } from 'node:crypto';
import {
  ANCHOR_LABEL,
  auditHash,
  canonical,
  GENESIS_HASH,
  keyedAuditHash,
  labelledMac,
  macMatches,
  verifyChain,
  type ChainedContent,
  type ChainedEntry,
  type ChainRules,
} from './audit-chain';

const KEY = randomBytes(32);
const OTHER_KEY = randomBytes(32);

function content(n: number, overrides: Partial<ChainedContent> = {}): ChainedContent {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    at: new Date(Date.UTC(2026, 0, 1, 12, 0, n)),
    actor_type: 'user',
    actor_id: 'u-1',
    actor_name: 'dpo@example.com',
    action: `POST /v1/vendors#${n}`,
    target_type: 'vendors',
    target_id: `v-${n}`,
    ip: '127.0.0.1',
    outcome: 'success',
    details: { lookup: [], n },
    ...overrides,
  };
}

/**
 * A well-formed chain of `length` entries at places 1.., the first `legacy` of them unkeyed (SHA-256), the
 * rest keyed under `key`. Entry numbers (seq) are 10, 20, …: numbers and places differ, as they may.
 */
function chain(length: number, legacy = 0, key = KEY): ChainedEntry[] {
  const entries: ChainedEntry[] = [];
  let prev = GENESIS_HASH;
  for (let n = 1; n <= length; n++) {
    const row = { ...content(n), seq: String(n * 10), chain_seq: String(n) };
    const hash = n <= legacy ? auditHash(prev, row) : keyedAuditHash(key, prev, row);
    entries.push({ ...row, prev_hash: prev, hash });
    prev = hash;
  }
  return entries;
}

/** The rules for `chain(…, legacy)`: its legacy prefix and head, and the keys trusted. */
function rules(entries: ChainedEntry[], legacy = 0, keys = [KEY]): ChainRules {
  return { legacyThrough: legacy, legacyHead: legacy ? entries[legacy - 1].hash : GENESIS_HASH, keys };
}

describe(canonical.name, () => {
  it('writes object keys in a fixed order, whatever order they were given in', () => {
    expect(canonical({ b: 1, a: { d: 2, c: 3 } })).toBe(canonical({ a: { c: 3, d: 2 }, b: 1 }));
    expect(canonical({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('leaves out undefined values and keeps nulls and array order', () => {
    expect(canonical({ a: undefined, b: null, c: [2, 1] })).toBe('{"b":null,"c":[2,1]}');
  });
});

describe(`${auditHash.name} (legacy, unkeyed)`, () => {
  it('is a SHA-256 in hex', () => {
    expect(auditHash(GENESIS_HASH, content(1))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same for the same content and previous hash, whatever the key order of details', () => {
    const a = content(1, { details: { x: 1, y: 2 } });
    const b = content(1, { details: { y: 2, x: 1 } });
    expect(auditHash(GENESIS_HASH, a)).toBe(auditHash(GENESIS_HASH, b));
  });

  it('reads the time as an instant: a Date and its ISO string hash alike', () => {
    const row = content(1);
    expect(auditHash(GENESIS_HASH, { ...row, at: new Date(row.at).toISOString() })).toBe(
      auditHash(GENESIS_HASH, row),
    );
  });

  it('changes with the previous hash', () => {
    expect(auditHash(GENESIS_HASH, content(1))).not.toBe(auditHash('f'.repeat(64), content(1)));
  });

  it('changes with any field of the content', () => {
    const base = auditHash(GENESIS_HASH, content(1));
    const edits: Partial<ChainedContent>[] = [
      { id: '00000000-0000-4000-8000-999999999999' },
      { at: new Date(Date.UTC(2026, 0, 1, 12, 0, 59)) },
      { actor_type: 'api_key' },
      { actor_id: 'u-2' },
      { actor_name: 'someone@example.com' },
      { action: 'DELETE /v1/vendors' },
      { target_type: 'dpas' },
      { target_id: 'v-2' },
      { ip: '10.0.0.1' },
      { outcome: 'failure' },
      { details: { lookup: ['phone'], n: 1 } },
    ];
    for (const edit of edits) expect(auditHash(GENESIS_HASH, content(1, edit))).not.toBe(base);
  });
});

describe(keyedAuditHash.name, () => {
  const row = { ...content(1), seq: '7', chain_seq: '1' };

  it('is an HMAC-SHA256 in hex that depends on the key', () => {
    expect(keyedAuditHash(KEY, GENESIS_HASH, row)).toMatch(/^[0-9a-f]{64}$/);
    expect(keyedAuditHash(KEY, GENESIS_HASH, row)).not.toBe(keyedAuditHash(OTHER_KEY, GENESIS_HASH, row));
  });

  it('differs from the unkeyed hash of the same entry: it cannot be recomputed without the key', () => {
    expect(keyedAuditHash(KEY, GENESIS_HASH, row)).not.toBe(auditHash(GENESIS_HASH, row));
  });

  it("covers the entry's number and its place in the chain", () => {
    const base = keyedAuditHash(KEY, GENESIS_HASH, row);
    expect(keyedAuditHash(KEY, GENESIS_HASH, { ...row, seq: '8' })).not.toBe(base);
    expect(keyedAuditHash(KEY, GENESIS_HASH, { ...row, chain_seq: '2' })).not.toBe(base);
  });

  it('changes with any field of the content and with the previous hash', () => {
    const base = keyedAuditHash(KEY, GENESIS_HASH, row);
    expect(keyedAuditHash(KEY, 'f'.repeat(64), row)).not.toBe(base);
    expect(keyedAuditHash(KEY, GENESIS_HASH, { ...row, actor_name: 'x' })).not.toBe(base);
    expect(keyedAuditHash(KEY, GENESIS_HASH, { ...row, details: { lookup: ['phone'] } })).not.toBe(base);
  });
});

describe(macMatches.name, () => {
  const fields = [12, 'a'.repeat(64), '2026-12-06T10:00:00.000Z'];
  const mac = labelledMac(KEY, ANCHOR_LABEL, fields);

  it('accepts a MAC made under any of the keys given', () => {
    expect(macMatches([KEY], ANCHOR_LABEL, fields, mac)).toBe(true);
    expect(macMatches([OTHER_KEY, KEY], ANCHOR_LABEL, fields, mac)).toBe(true);
  });

  it('refuses another key, another label, changed fields and malformed MACs', () => {
    expect(macMatches([OTHER_KEY], ANCHOR_LABEL, fields, mac)).toBe(false);
    expect(macMatches([KEY], 'cg-audit-state-v1', fields, mac)).toBe(false);
    expect(macMatches([KEY], ANCHOR_LABEL, [13, fields[1], fields[2]], mac)).toBe(false);
    expect(macMatches([KEY], ANCHOR_LABEL, fields, 'zz')).toBe(false);
    expect(macMatches([KEY], ANCHOR_LABEL, fields, mac.toUpperCase())).toBe(false);
  });
});

describe(verifyChain.name, () => {
  it('accepts an empty chain, ending where it started', () => {
    expect(verifyChain([], rules([]))).toEqual({
      valid: true,
      checked: 0,
      lastHash: GENESIS_HASH,
      lastPosition: 0,
    });
  });

  it('accepts a well-formed keyed chain and reports its last hash and place', () => {
    const entries = chain(5);
    expect(verifyChain(entries, rules(entries))).toEqual({
      valid: true,
      checked: 5,
      lastHash: entries[4].hash,
      lastPosition: 5,
    });
  });

  it('accepts a legacy prefix followed by keyed entries linked to its last hash', () => {
    const entries = chain(6, 3);
    expect(verifyChain(entries, rules(entries, 3)).valid).toBe(true);
  });

  it('accepts entries keyed under an older key still trusted', () => {
    const entries = chain(3, 0, OTHER_KEY);
    expect(verifyChain(entries, rules(entries, 0, [KEY, OTHER_KEY])).valid).toBe(true);
  });

  it('continues from a checkpoint: the place and hash the previous batch ended on', () => {
    const entries = chain(6);
    const first = verifyChain(entries.slice(0, 3), rules(entries));
    expect(first.valid).toBe(true);
    if (first.valid) {
      const from = { position: first.lastPosition, hash: first.lastHash };
      expect(verifyChain(entries.slice(3), rules(entries), from).valid).toBe(true);
    }
  });

  it('rejects keyed entries under a key it does not trust', () => {
    const entries = chain(3, 0, OTHER_KEY);
    expect(verifyChain(entries, rules(entries))).toMatchObject({
      valid: false,
      firstBrokenSeq: 10,
      reason: 'hash',
    });
  });

  it('rejects an edited entry, naming its number and id', () => {
    const entries = chain(5);
    entries[2] = { ...entries[2], action: 'DELETE /v1/vendors' };
    expect(verifyChain(entries, rules(entries))).toEqual({
      valid: false,
      checked: 2,
      firstBrokenSeq: 30,
      brokenId: entries[2].id,
      reason: 'hash',
    });
  });

  it('rejects an edited keyed entry whose hash was recomputed without the key (plain SHA-256)', () => {
    const entries = chain(5);
    const edited = { ...entries[2], outcome: 'failure' };
    entries[2] = { ...edited, hash: auditHash(edited.prev_hash, edited) };
    expect(verifyChain(entries, rules(entries))).toMatchObject({
      valid: false,
      firstBrokenSeq: 30,
      reason: 'hash',
    });
  });

  it('rejects keyed entries passed off as legacy by moving the boundary: the legacy head must match', () => {
    const entries = chain(4, 2);
    // Someone rewrites entry 3 and recomputes it unkeyed, claiming the legacy prefix ends there.
    const edited = { ...entries[2], actor_name: 'someone else' };
    entries[2] = { ...edited, hash: auditHash(edited.prev_hash, edited) };
    const moved = { ...rules(entries, 2), legacyThrough: 3 };
    expect(verifyChain(entries, moved)).toMatchObject({ valid: false, firstBrokenSeq: 30, reason: 'hash' });
  });

  it('rejects a chain with a middle entry removed, at the entry after the gap', () => {
    const entries = chain(5);
    entries.splice(2, 1);
    expect(verifyChain(entries, rules(entries))).toMatchObject({
      valid: false,
      checked: 2,
      firstBrokenSeq: 40,
      reason: 'gap',
    });
  });

  it('rejects an entry linked to another hash than the one before it', () => {
    const entries = chain(3);
    entries[1] = { ...entries[1], prev_hash: 'f'.repeat(64) };
    expect(verifyChain(entries, rules(entries))).toMatchObject({
      valid: false,
      firstBrokenSeq: 20,
      reason: 'link',
    });
  });

  it('rejects two entries swapped', () => {
    const entries = chain(4);
    [entries[1], entries[2]] = [entries[2], entries[1]];
    expect(verifyChain(entries, rules(entries))).toMatchObject({
      valid: false,
      checked: 1,
      firstBrokenSeq: 30,
    });
  });

  it('rejects an entry given another place, even with its links intact', () => {
    const entries = chain(3);
    entries[2] = { ...entries[2], chain_seq: '4' };
    expect(verifyChain(entries, rules(entries))).toMatchObject({
      valid: false,
      firstBrokenSeq: 30,
      reason: 'gap',
    });
  });
});
