/**
 * The SOSL search index, which Salesforce updates asynchronously ("a record created seconds ago may not be found
 * yet"): with `lagMs` > 0, a search sees every record as it was written at least `lagMs` ago. A record written more
 * recently than that is not found yet, and an updated one is still found under its previous values (the fields a
 * search returns are read from the stored record, as Salesforce reads them from the database). SOQL never looks
 * here: it sees every write at once. Deleted records leave the index at once, the assumption that Salesforce checks
 * a hit against the database before returning it.
 */
export class SearchIndex {
  private readonly versions = new Map<string, Array<{ at: number; record: Record<string, unknown> }>>();

  constructor(public lagMs = 0) {}

  /** Records a write. `at` = -Infinity marks seeded data, which stands for records indexed long before the test. */
  written(id: string, record: Record<string, unknown>, at: number): void {
    const list = this.versions.get(id) ?? [];
    list.push({ at, record: { ...record } });
    this.versions.set(id, list);
  }

  removed(id: string): void {
    this.versions.delete(id);
  }

  clear(): void {
    this.versions.clear();
  }

  /** The values the index holds for a record at `now`, or undefined when it has not been indexed yet. */
  indexed(id: string, now: number): Record<string, unknown> | undefined {
    const list = this.versions.get(id);
    if (!list) return undefined;
    const cutoff = now - this.lagMs;
    let newest = -1;
    for (let i = 0; i < list.length; i++) if (list[i].at <= cutoff) newest = i;
    if (newest < 0) return undefined;
    // Versions older than the newest indexed one can never be seen again.
    if (newest > 0) list.splice(0, newest);
    return list[0].record;
  }
}
