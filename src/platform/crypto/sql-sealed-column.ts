import type { DataSource, EntityManager } from 'typeorm';
import { baseKeyId, CryptoService, isBoundKeyId, markKeyId, type Sealed } from './crypto.service';
import type {
  BlindIndexedColumn,
  KeyIdCounts,
  ReindexOutcome,
  ResealOutcome,
  SealedColumn,
} from './sealed-columns';

type Row = Record<string, unknown>;

/** Values sealed under per-person data keys (key id `<prefix><owner>`), which rotation re-binds but never re-keys. */
export interface PersonKeys {
  prefix: string;
  /** The owners' data keys (absent: forgotten). */
  keysOf(ownerIds: readonly string[]): Promise<Map<string, Buffer>>;
}

/** A sealed column as its owning module describes it (identifiers are the module's own, never user input). */
export interface SqlSealedColumnSpec {
  table: string;
  column: string;
  keyIdColumn: string;
  /** SQL naming a row (its primary key, indexed): batches go along it, and progress and cursors print it. */
  rowId: string;
  /** Columns the place (associated data) is made from. */
  placeColumns: readonly string[];
  place(row: Row): string;
  personKeys?: PersonKeys;
  /** Run first in each re-sealing transaction (an append-only table lets keys:rotate through, see its trigger). */
  unlock?: string;
}

/** What a row's ciphertext opens to, and how to seal a new plaintext there under the same kind of key. */
class RowKeys {
  constructor(
    private readonly crypto: CryptoService,
    private readonly personKeys: PersonKeys | undefined,
    private readonly dataKeys: Map<string, Buffer>,
  ) {}

  static async forRows(
    crypto: CryptoService,
    personKeys: PersonKeys | undefined,
    keyIds: readonly string[],
  ): Promise<RowKeys> {
    const owners = personKeys
      ? [...new Set(keyIds.filter((k) => k.startsWith(personKeys.prefix)).map((k) => ownerOf(personKeys, k)))]
      : [];
    const dataKeys =
      personKeys && owners.length ? await personKeys.keysOf(owners) : new Map<string, Buffer>();
    return new RowKeys(crypto, personKeys, dataKeys);
  }

  /** The plaintext, or null when it does not open here (altered, moved, forgotten, or its key is gone). */
  open(sealed: Sealed, place: string): Buffer | null {
    try {
      const owner = this.ownerOf(sealed.keyId);
      if (owner === null) return this.crypto.open(sealed, place);
      const key = this.dataKeys.get(owner);
      return key ? CryptoService.openMarked(key, sealed, place) : null;
    } catch {
      return null;
    }
  }

  /** Sealed again at `place`: under the same person's key, or under the current master key. */
  reseal(previousKeyId: string, plaintext: Buffer, place: string): Sealed {
    const owner = this.ownerOf(previousKeyId);
    if (owner === null) return this.crypto.seal(plaintext, place);
    const id = `${this.personKeys!.prefix}${owner}`;
    return {
      ciphertext: CryptoService.sealWith(this.dataKeys.get(owner)!, plaintext, place),
      keyId: markKeyId(id, place),
    };
  }

  private ownerOf(keyId: string): string | null {
    return this.personKeys && keyId.startsWith(this.personKeys.prefix)
      ? ownerOf(this.personKeys, keyId)
      : null;
  }
}

function ownerOf(personKeys: PersonKeys, keyId: string): string {
  return baseKeyId(keyId).slice(personKeys.prefix.length);
}

/**
 * A sealed column reached with the owning module's SQL: counts per key id, and re-seals in batches (rows locked,
 * SKIP LOCKED, so it runs beside a live gateway; each batch commits on its own, so an interrupted run resumes
 * where it stopped, and a second run finds nothing to do).
 */
export class SqlSealedColumn implements SealedColumn {
  readonly name: string;

  constructor(
    private readonly data: DataSource,
    private readonly crypto: CryptoService,
    private readonly spec: SqlSealedColumnSpec,
  ) {
    this.name = `${spec.table}.${spec.column}`;
  }

  async countByKeyId(): Promise<KeyIdCounts> {
    const { table, column, keyIdColumn } = this.spec;
    const prefix = this.spec.personKeys?.prefix;
    // Person keys are one per person: counted together (bound or not), never listed one by one.
    const label = prefix
      ? `CASE WHEN starts_with(${keyIdColumn}, $1) THEN $1 || '*' || CASE WHEN right(${keyIdColumn}, 2) = '+a' THEN '+a' ELSE '' END ELSE ${keyIdColumn} END`
      : keyIdColumn;
    const rows: { key_id: string; count: number }[] = await this.data.query(
      `SELECT ${label} AS key_id, count(*)::int AS count FROM ${table}
        WHERE ${column} IS NOT NULL AND ${keyIdColumn} IS NOT NULL GROUP BY 1 ORDER BY 1`,
      prefix ? [prefix] : [],
    );
    return new Map(rows.map((r) => [r.key_id, r.count]));
  }

  needsReseal(keyId: string): boolean {
    const prefix = this.spec.personKeys?.prefix;
    if (prefix && keyId.startsWith(prefix)) return !isBoundKeyId(keyId);
    return !this.crypto.isCurrent(keyId);
  }

  async resealBatch(after: string | null, limit: number): Promise<ResealOutcome> {
    const { table, column, keyIdColumn, rowId, placeColumns } = this.spec;
    const prefix = this.spec.personKeys?.prefix ?? null;
    return this.data.transaction(async (manager) => {
      if (this.spec.unlock) await manager.query(this.spec.unlock);
      // Along the row id (the primary key's index), so that a run reads each row once however many batches.
      const rows: Row[] = await manager.query(
        `SELECT ctid::text AS row_tid, (${rowId})::text AS row_id, ${column} AS ct, ${keyIdColumn} AS key_id
                ${placeColumns.map((c) => `, ${c}`).join('')}
           FROM ${table}
          WHERE ${column} IS NOT NULL AND ${keyIdColumn} IS NOT NULL
            AND CASE WHEN $3::text IS NOT NULL AND starts_with(${keyIdColumn}, $3) THEN right(${keyIdColumn}, 2) <> '+a'
                     ELSE ${keyIdColumn} <> $2 END
            ${after === null ? '' : `AND ${rowId} > $4`}
          ORDER BY ${rowId} LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit, markKeyId(this.crypto.currentKeyId, ''), prefix, ...(after === null ? [] : [after])],
      );
      const keys = await RowKeys.forRows(
        this.crypto,
        this.spec.personKeys,
        rows.map((r) => r.key_id as string),
      );
      const updates: { tid: string; sealed: Sealed }[] = [];
      const unreadable: string[] = [];
      for (const row of rows) {
        const place = this.spec.place(row);
        const plaintext = keys.open({ ciphertext: row.ct as Buffer, keyId: row.key_id as string }, place);
        if (plaintext === null) unreadable.push(row.row_id as string);
        else
          updates.push({
            tid: row.row_tid as string,
            sealed: keys.reseal(row.key_id as string, plaintext, place),
          });
      }
      await this.write(manager, updates);
      const next = rows.length < limit ? null : (rows[rows.length - 1].row_id as string);
      return { resealed: updates.length, unreadable, next };
    });
  }

  private async write(
    manager: EntityManager,
    updates: readonly { tid: string; sealed: Sealed }[],
  ): Promise<void> {
    if (updates.length === 0) return;
    const { table, column, keyIdColumn } = this.spec;
    // The rows are locked by this transaction, so their ctid is stable until it commits.
    await manager.query(
      `UPDATE ${table} t SET ${column} = x.ct, ${keyIdColumn} = x.key_id
         FROM unnest($1::tid[], $2::bytea[], $3::text[]) AS x(tid, ct, key_id) WHERE t.ctid = x.tid`,
      [
        updates.map((u) => u.tid),
        updates.map((u) => u.sealed.ciphertext),
        updates.map((u) => u.sealed.keyId),
      ],
    );
  }
}

/** A blind-indexed column whose plaintext is sealed beside it, as its owning module describes it. */
export interface SqlBlindIndexedSpec {
  table: string;
  hashColumn: string;
  column: string;
  keyIdColumn: string;
  /** SQL naming the row (its primary key, indexed): the cursor. */
  rowId: string;
  placeColumns: readonly string[];
  /** Where the ciphertext is sealed, given the row and its blind index (a place may be keyed by the index). */
  place(row: Row, hash: Buffer): string;
  /** Whether place() depends on the index: then re-indexing re-seals the value at its new place too. */
  placeUsesHash: boolean;
  /** The blind-index namespace of the row's value, and the value to index (its sealed plaintext). */
  index(row: Row, plaintext: string): { namespace: string; value: string };
  personKeys?: PersonKeys;
  /** In the re-indexing transaction: tell readers that may have cached "nobody is known by this" (new indexes). */
  onReindexed?(manager: EntityManager, rows: readonly { row: Row; hash: Buffer }[]): Promise<void>;
}

/**
 * Re-indexes a blind-indexed column under the current blind-index key, from the sealed plaintext beside it, in
 * batches along the row id (resumable from the printed cursor; a row already current is left alone).
 */
export class SqlBlindIndexedColumn implements BlindIndexedColumn {
  readonly name: string;

  constructor(
    private readonly data: DataSource,
    private readonly crypto: CryptoService,
    private readonly spec: SqlBlindIndexedSpec,
  ) {
    this.name = `${spec.table}.${spec.hashColumn}`;
  }

  async reindexBatch(after: string | null, limit: number): Promise<ReindexOutcome> {
    const { table, hashColumn, column, keyIdColumn, rowId, placeColumns } = this.spec;
    return this.data.transaction(async (manager) => {
      const rows: Row[] = await manager.query(
        `SELECT ctid::text AS row_tid, (${rowId})::text AS row_id, ${hashColumn} AS hash, ${column} AS ct,
                ${keyIdColumn} AS key_id ${placeColumns.map((c) => `, ${c}`).join('')}
           FROM ${table}
          WHERE ${column} IS NOT NULL AND ${keyIdColumn} IS NOT NULL AND ${hashColumn} IS NOT NULL
            ${after === null ? '' : `AND ${rowId} > $2`}
          ORDER BY ${rowId} LIMIT $1 FOR UPDATE`,
        [limit, ...(after === null ? [] : [after])],
      );
      const keys = await RowKeys.forRows(
        this.crypto,
        this.spec.personKeys,
        rows.map((r) => r.key_id as string),
      );
      const unreadable: string[] = [];
      const updates: { tid: string; row: Row; hash: Buffer; sealed: Sealed | null }[] = [];
      for (const row of rows) {
        const sealed = { ciphertext: row.ct as Buffer, keyId: row.key_id as string };
        const plaintext = keys.open(sealed, this.spec.place(row, row.hash as Buffer));
        if (plaintext === null) {
          unreadable.push(row.row_id as string);
          continue;
        }
        const { namespace, value } = this.spec.index(row, plaintext.toString('utf8'));
        const hash = this.crypto.blindIndex(namespace, value);
        if (hash.equals(row.hash as Buffer)) continue;
        const resealed = this.spec.placeUsesHash
          ? keys.reseal(sealed.keyId, plaintext, this.spec.place(row, hash))
          : null;
        updates.push({ tid: row.row_tid as string, row, hash, sealed: resealed });
      }
      if (updates.length)
        await manager.query(
          `UPDATE ${table} t SET ${hashColumn} = x.hash, ${column} = coalesce(x.ct, t.${column}),
                  ${keyIdColumn} = coalesce(x.key_id, t.${keyIdColumn})
             FROM unnest($1::tid[], $2::bytea[], $3::bytea[], $4::text[]) AS x(tid, hash, ct, key_id)
            WHERE t.ctid = x.tid`,
          [
            updates.map((u) => u.tid),
            updates.map((u) => u.hash),
            updates.map((u) => u.sealed?.ciphertext ?? null),
            updates.map((u) => u.sealed?.keyId ?? null),
          ],
        );
      if (updates.length && this.spec.onReindexed) await this.spec.onReindexed(manager, updates);
      return {
        seen: rows.length,
        reindexed: updates.length,
        unreadable,
        next: rows.length < limit ? null : (rows[rows.length - 1].row_id as string),
      };
    });
  }
}
