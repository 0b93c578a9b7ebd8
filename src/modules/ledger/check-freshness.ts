import { isDatabaseUnavailable } from '../../platform/database/database-unavailable';

/** CHECK_WHEN_DATABASE_DOWN: answer checks from memory, marked stale, or refuse them (503). */
export type CheckWhenDatabaseDown = 'serve_stale' | 'refuse';

/**
 * The in-memory consent projection as it was when the LISTEN connection was lost, kept for the time the
 * database cannot be reached. While notifications are down nothing in memory is trusted for a normal
 * answer (the query service reads the database); only when that read fails because the database is away
 * does a check answer from here, with `stale: true`, as CHECK_WHEN_DATABASE_DOWN=serve_stale asks. A person
 * the copy does not hold answers "no consent" when the copy was a complete load (nothing to go on: never
 * allowed), and is refused otherwise. The copy is dropped once the projection is loaded again.
 */
export class StaleProjection<T> {
  private byKey: ReadonlyMap<string, T> | null = null;
  private bySubject: ReadonlyMap<string, T> | null = null;
  private complete = false;

  constructor(private readonly policy: CheckWhenDatabaseDown) {}

  /** Copies the projection as the connection is lost (a later loss before a reload keeps the fuller copy). */
  keep(byKey: ReadonlyMap<string, T>, bySubject: ReadonlyMap<string, T>, complete: boolean): void {
    if (this.policy !== 'serve_stale') return;
    if (this.bySubject && this.bySubject.size >= bySubject.size) return;
    this.byKey = new Map(byKey);
    this.bySubject = new Map(bySubject);
    this.complete = complete;
  }

  /** The projection is live again: answers come from it (or the database), never from this copy. */
  drop(): void {
    this.byKey = null;
    this.bySubject = null;
    this.complete = false;
  }

  /**
   * The kept answer for a lookup whose database read failed with `error`, or undefined (then the error
   * stands: a 503 for a database that is away).
   */
  answer(error: unknown, lookup: { subjectId?: string; key?: string }, nobody: T): T | undefined {
    if (this.policy !== 'serve_stale' || !this.bySubject || !isDatabaseUnavailable(error)) return undefined;
    const found =
      lookup.subjectId !== undefined
        ? this.bySubject.get(lookup.subjectId)
        : this.byKey?.get(lookup.key ?? '');
    if (found !== undefined) return found;
    return this.complete ? nobody : undefined;
  }
}
