import { KeyRotation } from './key-rotation';
import { keysRotate, keysStatus } from './keys-commands';
import {
  type BlindIndexedColumn,
  type ReindexOutcome,
  type ResealOutcome,
  type SealedColumn,
  SealedColumns,
} from './sealed-columns';

/** A column in memory: rows under key ids; 'broken' rows never open. */
class MemoryColumn implements SealedColumn {
  readonly batches: number[] = [];

  constructor(
    readonly name: string,
    readonly rows: { id: string; keyId: string; broken?: boolean }[],
  ) {}

  countByKeyId() {
    const counts = new Map<string, number>();
    for (const r of this.rows) counts.set(r.keyId, (counts.get(r.keyId) ?? 0) + 1);
    return Promise.resolve(counts);
  }

  needsReseal(keyId: string): boolean {
    return keyId !== 'new+a';
  }

  /** Rows in id order after `after`, like the SQL column: stale ones re-sealed, broken ones reported. */
  resealBatch(after: string | null, limit: number): Promise<ResealOutcome> {
    const page = this.rows.filter((r) => after === null || r.id > after);
    const batch = page.filter((r) => this.needsReseal(r.keyId)).slice(0, limit);
    this.batches.push(batch.length);
    for (const r of batch) if (!r.broken) r.keyId = 'new+a';
    return Promise.resolve({
      resealed: batch.filter((r) => !r.broken).length,
      unreadable: batch.filter((r) => r.broken).map((r) => r.id),
      next: batch.length < limit ? null : batch[batch.length - 1].id,
    });
  }
}

function rotationOver(...columns: SealedColumn[]) {
  const registry = new SealedColumns();
  registry.register(...columns);
  return { rotation: new KeyRotation(registry), registry };
}

describe(KeyRotation.name, () => {
  it('re-seals every stale row of every column, batch by batch, and says nothing is left', async () => {
    const inbox = new MemoryColumn('inbox.raw_body', [
      { id: '1', keyId: 'old' },
      { id: '2', keyId: 'new' },
      { id: '3', keyId: 'new+a' },
    ]);
    const creds = new MemoryColumn('connection.credentials', [{ id: 'c', keyId: 'old+a' }]);
    const { rotation } = rotationOver(inbox, creds);
    const lines: string[] = [];

    expect(await rotation.rotate((l) => lines.push(l), 1)).toBe(0);

    expect(inbox.rows.map((r) => r.keyId)).toEqual(['new+a', 'new+a', 'new+a']);
    expect(creds.rows[0].keyId).toBe('new+a');
    expect(inbox.batches).toEqual([1, 1, 0]);
    expect(lines).toEqual([
      'connection.credentials: 1 re-sealed (resume after c)',
      'inbox.raw_body: 1 re-sealed (resume after 1)',
      'inbox.raw_body: 2 re-sealed (resume after 2)',
    ]);
  });

  it('passes rows that do not open, names them by row id, and counts them as left', async () => {
    const column = new MemoryColumn('inbox.raw_body', [
      { id: 'a-moved-row', keyId: 'old', broken: true },
      { id: 'b-fine', keyId: 'old' },
    ]);
    const lines: string[] = [];

    expect(await rotationOver(column).rotation.rotate((l) => lines.push(l), 10)).toBe(1);

    expect(column.rows[1].keyId).toBe('new+a');
    expect(lines.at(-1)).toContain('a-moved-row');
  });

  it('finds nothing to do the second time', async () => {
    const column = new MemoryColumn('inbox.raw_body', [{ id: '1', keyId: 'old' }]);
    const { rotation } = rotationOver(column);
    await rotation.rotate(() => undefined);
    const lines: string[] = [];
    expect(await rotation.rotate((l) => lines.push(l))).toBe(0);
    expect(lines).toEqual([]);
  });

  it('reports per column and key id which rows are stale', async () => {
    const { rotation } = rotationOver(
      new MemoryColumn('inbox.raw_body', [
        { id: '1', keyId: 'old' },
        { id: '2', keyId: 'new+a' },
        { id: '3', keyId: 'new+a' },
      ]),
    );
    expect(await rotation.status()).toEqual([
      { column: 'inbox.raw_body', keyId: 'old', rows: 1, stale: true },
      { column: 'inbox.raw_body', keyId: 'new+a', rows: 2, stale: false },
    ]);
  });

  it('refuses a column registered twice (two modules claiming one column)', () => {
    const registry = new SealedColumns();
    registry.register(new MemoryColumn('inbox.raw_body', []));
    expect(() => registry.register(new MemoryColumn('inbox.raw_body', []))).toThrow('registered twice');
  });

  it('re-indexes along the cursor until the column is done', async () => {
    const calls: (string | null)[] = [];
    const pages: ReindexOutcome[] = [
      { seen: 2, reindexed: 2, unreadable: [], next: 'b' },
      { seen: 1, reindexed: 0, unreadable: ['c'], next: null },
    ];
    const column: BlindIndexedColumn = {
      name: 'subject_identity.value_hash',
      reindexBatch: (after) => {
        calls.push(after);
        return Promise.resolve(pages.shift()!);
      },
    };
    const registry = new SealedColumns();
    registry.registerBlindIndexed(column);
    const lines: string[] = [];

    expect(await new KeyRotation(registry).reindex((l) => lines.push(l), 2)).toBe(1);

    expect(calls).toEqual([null, 'b']);
    expect(lines).toContain('subject_identity.value_hash: 2 seen, 2 re-indexed (resume after b)');
  });
});

describe('keys:status and keys:rotate exit codes', () => {
  it('keys:status answers 2 while rows are stale, 0 once old keys can be retired', async () => {
    const column = new MemoryColumn('inbox.raw_body', [{ id: '1', keyId: 'old' }]);
    const { rotation } = rotationOver(column);
    expect(await keysStatus(rotation, () => undefined)).toBe(2);
    expect(await keysRotate(rotation, { blindIndex: false, batch: 10, print: () => undefined })).toBe(0);
    expect(await keysStatus(rotation, () => undefined)).toBe(0);
  });

  it('keys:rotate answers 2 when some rows did not open', async () => {
    const { rotation } = rotationOver(
      new MemoryColumn('inbox.raw_body', [{ id: '1', keyId: 'old', broken: true }]),
    );
    expect(await keysRotate(rotation, { blindIndex: false, batch: 10, print: () => undefined })).toBe(2);
  });
});
