import { Injectable } from '@nestjs/common';
import { SealedColumns } from './sealed-columns';

/** One line of keys:status: a column's rows under one key id. */
export interface KeyUsage {
  column: string;
  keyId: string;
  rows: number;
  /** Whether keys:rotate still has to re-seal these rows (an old key, or not yet bound to their place). */
  stale: boolean;
}

/** Progress lines: column names and counts only, never a value. */
export type Progress = (line: string) => void;

const BATCH = 500;

/**
 * keys:rotate and keys:status over every registered column: re-seals what is under an old encryption key (or from
 * before binding) under the current one, and re-indexes blind indexes under the current blind-index key.
 */
@Injectable()
export class KeyRotation {
  constructor(private readonly columns: SealedColumns) {}

  async status(): Promise<KeyUsage[]> {
    const out: KeyUsage[] = [];
    for (const column of this.columns.list())
      for (const [keyId, rows] of await column.countByKeyId())
        out.push({ column: column.name, keyId, rows, stale: column.needsReseal(keyId) });
    return out;
  }

  /** Re-seals every stale row; answers how many rows stay stale (unreadable ones: see the progress lines). */
  async rotate(progress: Progress, batch = BATCH): Promise<number> {
    for (const column of this.columns.list()) {
      const unreadable: string[] = [];
      let resealed = 0;
      let after: string | null = null;
      do {
        const outcome = await column.resealBatch(after, batch);
        unreadable.push(...outcome.unreadable);
        resealed += outcome.resealed;
        after = outcome.next;
        if (outcome.resealed)
          progress(`${column.name}: ${resealed} re-sealed${after ? ` (resume after ${after})` : ''}`);
      } while (after !== null);
      if (unreadable.length)
        progress(
          `${column.name}: ${unreadable.length} rows do not open (altered, moved, or their key is missing): ${unreadable.join(', ')}`,
        );
    }
    return (await this.status()).filter((u) => u.stale).reduce((n, u) => n + u.rows, 0);
  }

  /** Re-indexes every blind-indexed column that has its plaintext beside it; answers the rows that did not open. */
  async reindex(progress: Progress, batch = BATCH): Promise<number> {
    let unreadable = 0;
    for (const column of this.columns.listBlindIndexed()) {
      let after: string | null = null;
      let seen = 0;
      let reindexed = 0;
      do {
        const outcome = await column.reindexBatch(after, batch);
        seen += outcome.seen;
        reindexed += outcome.reindexed;
        unreadable += outcome.unreadable.length;
        if (outcome.unreadable.length)
          progress(
            `${column.name}: rows that do not open, left as they are: ${outcome.unreadable.join(', ')}`,
          );
        after = outcome.next;
        progress(
          `${column.name}: ${seen} seen, ${reindexed} re-indexed${after ? ` (resume after ${after})` : ''}`,
        );
      } while (after !== null);
    }
    return unreadable;
  }
}
