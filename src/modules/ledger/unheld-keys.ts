/** What memory makes of an identifier key the in-memory projection does not hold. */
export type UnheldAnswer = 'nobody' | 'suppressed' | undefined;

export interface UnheldKeyLimits {
  /** The kinds a lookup names (keys of other kinds, notified as well, are not tracked). */
  kinds: readonly string[];
  /** Keys notified since the load and not yet read again, at most (beyond: every unheld key is read). */
  unsure: number;
  /** Active suppressions held, at most (a larger list is not held: every unheld key is read). */
  suppressed: number;
}

/**
 * Whether "nobody is known by this key" may be answered from memory, without a database read, for a
 * phone or email key the consent projection does not hold.
 *
 * That needs the projection loaded completely (not truncated by its size limit) while LISTEN is live, and
 * two more things known: the active suppression list (an erased person's identifier answers erased), and
 * which keys changed since the load began (notified new, moved or removed identities, suppressions added
 * or lifted, keys of people evicted by a change): those are "unsure" and read from the database until a
 * read that no notification overlapped says what they are now.
 *
 * Keys are IdentityService.cacheKey strings. A suppression made before a blind-index key rotation is held
 * under its previous key: callers pass a lookup's current key first, then its previous ones.
 *
 * Memory is bounded: a suppression list longer than `limits.suppressed` is not held, and more than
 * `limits.unsure` keys waiting to be read again end the coverage; either way until the next load, every
 * unheld key is read from the database (as before this existed).
 */
export class UnheldKeys {
  private readonly unsure = new Set<string>();
  private readonly suppressed = new Set<string>();
  /** A load is running or done: notified keys are tracked (before it, its snapshot includes them). */
  private tracking = false;
  private suppressionsHeld = false;
  private complete = false;
  private readonly prefixes: string[];

  constructor(
    private readonly limits: UnheldKeyLimits,
    /** Told when a limit ended the coverage (the reason has no personal data). */
    private readonly onGiveUp: (reason: string) => void = () => {},
  ) {
    this.prefixes = limits.kinds.map((k) => `${k}:`);
  }

  /** A load of the projection begins (its snapshots postdate every change notified before now). */
  begin(): void {
    this.reset();
    this.tracking = true;
  }

  /** The active suppressions as the load read them; null when there were more than `limits.suppressed`. */
  loadSuppressions(keys: readonly string[] | null): void {
    if (!this.tracking) return;
    if (keys === null || keys.length > this.limits.suppressed)
      return this.giveUp('suppression list too long');
    for (const key of keys) this.suppressed.add(key);
    this.suppressionsHeld = true;
  }

  /** The load is done; `whole` when every person was loaded (no size limit reached). */
  finish(whole: boolean): void {
    this.complete = this.tracking && this.suppressionsHeld && whole;
  }

  /** The LISTEN connection was lost (nothing notified can be trusted), or the load failed. */
  reset(): void {
    this.tracking = false;
    this.suppressionsHeld = false;
    this.complete = false;
    this.unsure.clear();
    this.suppressed.clear();
  }

  /** Changed, or no longer held: read from the database until a read says what they are now. */
  changed(keys: Iterable<string>): void {
    if (!this.tracking) return;
    for (const key of keys) if (this.prefixes.some((p) => key.startsWith(p))) this.unsure.add(key);
    if (this.unsure.size > this.limits.unsure) this.giveUp('too many changed keys not read again');
  }

  /**
   * A database read that no notification overlapped found the identifier (current key, then previous ones):
   * `person` when someone is known by it (and memory now holds them), else whether it is suppressed.
   */
  read(keys: readonly string[], found: 'person' | 'suppressed' | 'nobody'): void {
    // Not before the list is in: a read between the list's snapshot and now would be undone by it.
    if (!this.suppressionsHeld) return;
    if (found === 'suppressed') {
      if (!this.suppressed.has(keys[0]) && this.suppressed.size >= this.limits.suppressed)
        return this.giveUp('suppression list too long');
      this.suppressed.add(keys[0]);
    } else if (found === 'nobody') {
      for (const key of keys) this.suppressed.delete(key);
    }
    for (const key of keys) this.unsure.delete(key);
  }

  /** The answer for an identifier memory does not hold (current key, then previous); undefined: read it. */
  answer(keys: readonly string[]): UnheldAnswer {
    if (!this.complete) return undefined;
    for (const key of keys) if (this.unsure.has(key)) return undefined;
    for (const key of keys) if (this.suppressed.has(key)) return 'suppressed';
    return 'nobody';
  }

  /** For metrics and tests. */
  get status(): { complete: boolean; unsure: number; suppressed: number } {
    return { complete: this.complete, unsure: this.unsure.size, suppressed: this.suppressed.size };
  }

  private giveUp(reason: string): void {
    this.reset();
    this.onGiveUp(reason);
  }
}
