import {
  auditHash,
  canonical,
  GENESIS_HASH,
  verifyChain,
  type ChainedContent,
  type ChainedEntry,
} from './audit-chain';

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

/** A well-formed chain of `length` entries, seq 1.. */
function chain(length: number): ChainedEntry[] {
  const entries: ChainedEntry[] = [];
  let prev = GENESIS_HASH;
  for (let n = 1; n <= length; n++) {
    const row = content(n);
    const hash = auditHash(prev, row);
    entries.push({ ...row, seq: String(n), prev_hash: prev, hash });
    prev = hash;
  }
  return entries;
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

describe(auditHash.name, () => {
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

describe(verifyChain.name, () => {
  it('accepts an empty chain, ending where it started', () => {
    expect(verifyChain([])).toEqual({ valid: true, checked: 0, lastHash: GENESIS_HASH });
  });

  it('accepts a well-formed chain and reports its last hash', () => {
    const entries = chain(5);
    expect(verifyChain(entries)).toEqual({ valid: true, checked: 5, lastHash: entries[4].hash });
  });

  it('continues a chain checked in batches from the hash the previous batch ended on', () => {
    const entries = chain(6);
    const first = verifyChain(entries.slice(0, 3));
    expect(first.valid).toBe(true);
    if (first.valid) expect(verifyChain(entries.slice(3), first.lastHash).valid).toBe(true);
  });

  it('rejects a chain whose first entry does not follow the genesis hash', () => {
    const entries = chain(3);
    expect(verifyChain(entries.slice(1))).toEqual({ valid: false, checked: 0, firstBrokenSeq: 2 });
  });

  it('rejects an edited middle entry, naming it', () => {
    const entries = chain(5);
    entries[2] = { ...entries[2], action: 'DELETE /v1/vendors' };
    expect(verifyChain(entries)).toEqual({ valid: false, checked: 2, firstBrokenSeq: 3 });
  });

  it('rejects an edited middle entry even when its own hash is recomputed, at the entry after it', () => {
    const entries = chain(5);
    const edited = { ...entries[2], outcome: 'failure' };
    entries[2] = { ...edited, hash: auditHash(edited.prev_hash, edited) };
    expect(verifyChain(entries)).toEqual({ valid: false, checked: 3, firstBrokenSeq: 4 });
  });

  it('rejects a chain with a middle entry removed, at the entry after the gap', () => {
    const entries = chain(5);
    entries.splice(2, 1);
    expect(verifyChain(entries)).toEqual({ valid: false, checked: 2, firstBrokenSeq: 4 });
  });

  it('rejects two entries swapped', () => {
    const entries = chain(4);
    [entries[1], entries[2]] = [entries[2], entries[1]];
    expect(verifyChain(entries)).toEqual({ valid: false, checked: 1, firstBrokenSeq: 3 });
  });
});
