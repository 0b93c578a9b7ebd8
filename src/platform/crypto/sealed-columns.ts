import { Injectable } from '@nestjs/common';

/** How many rows of one sealed column are under each key id (as stored, format marker included). */
export type KeyIdCounts = Map<string, number>;

/** What one batch of keys:rotate did to a column. */
export interface ResealOutcome {
  /** Rows re-sealed under the current key, bound to their place. */
  resealed: number;
  /** Rows that did not open (altered, moved, or their key is not configured): left as they are, reported. */
  unreadable: string[];
  /** Where the next batch starts (the last row id looked at); null when the column is done. */
  next: string | null;
}

/**
 * One encrypted column, as its owning module exposes it to key rotation: the module keeps its SQL, the rotation
 * only asks it to count and to re-seal.
 */
export interface SealedColumn {
  /** `<table>.<column>`: printed in progress and status (never a value). */
  readonly name: string;
  countByKeyId(): Promise<KeyIdCounts>;
  /** Whether rows under this key id still need keys:rotate (an old key, or the format from before binding). */
  needsReseal(keyId: string): boolean;
  /** Re-seals up to `limit` rows that need it, after row `after` in row id order. */
  resealBatch(after: string | null, limit: number): Promise<ResealOutcome>;
}

/** What one batch of keys:rotate --blind-index did to a column. */
export interface ReindexOutcome {
  /** Rows looked at in this batch (the cursor moves past them). */
  seen: number;
  /** Rows whose blind index changed (re-indexed under the current blind-index key). */
  reindexed: number;
  unreadable: string[];
  /** Where the next batch starts; null when the column is done. */
  next: string | null;
}

/** One blind-indexed column whose value can be recomputed from the sealed plaintext beside it. */
export interface BlindIndexedColumn {
  readonly name: string;
  /** Re-indexes the rows after `after` (row id order), up to `limit`; idempotent (a current index is left). */
  reindexBatch(after: string | null, limit: number): Promise<ReindexOutcome>;
}

/**
 * Every encrypted and blind-indexed column of the gateway, registered by the module that owns it (each module's
 * `*-sealed-columns.ts`). keys:rotate and keys:status walk this list: no module's SQL is reached from outside it.
 */
@Injectable()
export class SealedColumns {
  private readonly sealed: SealedColumn[] = [];
  private readonly indexed: BlindIndexedColumn[] = [];

  register(...columns: SealedColumn[]): void {
    for (const c of columns) {
      if (this.sealed.some((s) => s.name === c.name)) throw new Error(`${c.name} is registered twice`);
      this.sealed.push(c);
    }
  }

  registerBlindIndexed(...columns: BlindIndexedColumn[]): void {
    this.indexed.push(...columns);
  }

  list(): readonly SealedColumn[] {
    return [...this.sealed].sort((a, b) => a.name.localeCompare(b.name));
  }

  listBlindIndexed(): readonly BlindIndexedColumn[] {
    return [...this.indexed].sort((a, b) => a.name.localeCompare(b.name));
  }
}
