import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { NotificationListener } from '../../platform/database/notification-listener';
import { StaleProjection } from './check-freshness';
import { ConsentStateRepository, type SubjectStateRow } from './consent-state.repository';
import { effectiveState, type StateRow } from './conflict-rules';
import { IdentityService, type LookupKey } from './identity.service';
import { ConsentRequestInvalidError, PersonNotFoundError } from './ledger.errors';
import { SUPPRESSION_CHANGED_CHANNEL } from './ledger.channels';
import { CONSENT_CHANGED_CHANNEL, IDENTITY_ADDED_CHANNEL } from './ledger.service';
import { ALL_SCOPES, type ConsentStatus, type IdentityKind } from './ledger.types';
import { SuppressionRepository } from './suppression.repository';
import { UnheldKeys } from './unheld-keys';

export interface SubjectLookup {
  phone?: string;
  email?: string;
  subject_id?: string;
}

export interface CheckQuery extends SubjectLookup {
  purpose?: string;
  channel?: string;
  scope?: string;
}

export type CheckReason = 'consent_granted' | 'consent_withdrawn' | 'no_consent' | 'erased' | 'restricted';

export interface CheckResult {
  allowed: boolean;
  status: ConsentStatus | 'unknown';
  reason: CheckReason;
  scope: string;
  captured_at: string | null;
  /** Answered from memory while the database is away (CHECK_WHEN_DATABASE_DOWN=serve_stale). */
  stale?: true;
}

interface FullStateRow extends StateRow {
  purpose: string;
  channel: string;
  source: string;
  eventId: string;
}

/** What a person's rights make of every check, whatever their consent (erased outranks restricted). */
type RightsFlag = 'erased' | 'restricted' | null;

interface CachedSubject {
  subjectId: string | null;
  rows: FullStateRow[];
  flag: RightsFlag;
}

/** A known person in the in-memory projection, reachable by every cached key that names them. */
interface Entry extends CachedSubject {
  subjectId: string;
  keys: string[];
}

const NOBODY: CachedSubject = Object.freeze({
  subjectId: null,
  rows: Object.freeze([]) as unknown as FullStateRow[],
  flag: null,
});
/** Nobody is known by the identifier, but an erased person was: it is on the suppression list. */
const SUPPRESSED: CachedSubject = Object.freeze({ ...NOBODY, flag: 'erased' });

const flagOf = (r: { erased: boolean | null; restricted: boolean | null }): RightsFlag =>
  r.erased ? 'erased' : r.restricted ? 'restricted' : null;

/** "Nobody is known by this": remembered this long (a new identity's NOTIFY forgets it sooner). */
const NOBODY_TTL_MS = 60_000;
const NOBODY_MAX = 200_000;
/** Subjects per statement while the projection is loaded at boot (and after the LISTEN connection returns). */
const LOAD_BATCH = 5_000;
const REBUILD_POLL_MS = 1_000;
/** The identifier kinds a lookup can name (subject ids have a map of their own). */
const LOOKUP_KINDS = ['phone', 'email'];

/**
 * The read side of the ledger: who a lookup names, their current states and "may I message?" (the
 * timeline is SubjectTimelineService's).
 *
 * Checks are answered from an in-memory copy of the consent projection (blind-index key → person → state
 * rows), loaded in batches at boot and kept current by the ledger's NOTIFY, sent on commit of every state
 * change (payload: the subject id, whose entry is dropped) and every new identity (payload: its cache key,
 * whose "nobody" answer or entry is dropped). A person not in memory (new since the load, or dropped by a
 * change) is read from the database and kept, unless a notification arrived while reading (the read may
 * predate the change). While the LISTEN connection is down nothing in memory is trusted: every check reads
 * the database, and the copy is emptied and loaded again once the connection is back.
 *
 * A merge of people notifies a state change of every person involved and a new identity for every
 * identifier moved, so nothing cached of either side survives it. People merged into another are not
 * loaded; a lookup by their subject id reads the database and answers for the person they became.
 *
 * A phone or email memory does not hold is answered "nobody" (or erased, when suppressed) from memory too,
 * once the load was complete: see UnheldKeys for what that needs. Every write to the suppression list
 * notifies its key (a trigger, SUPPRESSION_CHANGED_CHANNEL), as every new, moved or removed identity does.
 */
@Injectable()
export class ConsentQueryService implements OnApplicationBootstrap, OnModuleDestroy {
  /**
   * Memory bounds (tests lower them). subjects: people held at most (beyond, the others are read from the
   * database on every check, and no unheld key is answered from memory); unsureKeys and suppressedKeys:
   * see UnheldKeys (about 100 bytes a key).
   */
  static readonly limits = { subjects: 2_000_000, unsureKeys: 200_000, suppressedKeys: 500_000 };
  private readonly logger = new Logger(ConsentQueryService.name);
  private readonly byKey = new Map<string, Entry>();
  private readonly bySubject = new Map<string, Entry>();
  private readonly nobody = new Map<string, number>();
  /** Identifiers nobody is known by that are suppressed (an erased person's), until when that is trusted. */
  private readonly suppressed = new Map<string, number>();
  /** Bumped on every invalidation, so a read that overlapped one is not cached (it may predate the change). */
  private invalidations = 0;
  /** Bumped whenever the LISTEN connection is lost: a load that began before it must not be installed. */
  private generation = 0;
  private indexState: 'empty' | 'loading' | 'ready' = 'empty';
  /** Subjects and keys notified while a bulk load is running (its snapshot may predate them). */
  private loadDirty: Set<string> | null = null;
  private readonly interned = new Map<string, string>();
  private rebuildTimer: NodeJS.Timeout | null = null;
  /** cg_consent_checks_total's two series, looked up once (a labelled inc() hashes its labels every time). */
  private readonly checksCounted: Record<'true' | 'false', { inc(): void }>;
  private readonly stale: StaleProjection<CachedSubject>;
  private readonly unheld = new UnheldKeys(
    {
      kinds: LOOKUP_KINDS,
      unsure: ConsentQueryService.limits.unsureKeys,
      suppressed: ConsentQueryService.limits.suppressedKeys,
    },
    (reason) =>
      this.logger.warn({ reason }, 'unknown identifiers are read from the database until the next load'),
  );

  constructor(
    private readonly projection: ConsentStateRepository,
    private readonly suppressions: SuppressionRepository,
    private readonly identities: IdentityService,
    private readonly metrics: MetricsService,
    private readonly listener: NotificationListener,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.checksCounted = {
      true: metrics.consentChecks.labels({ allowed: 'true' }),
      false: metrics.consentChecks.labels({ allowed: 'false' }),
    };
    this.stale = new StaleProjection(config.checkWhenDatabaseDown);
    listener.on(CONSENT_CHANGED_CHANNEL, (subjectId) => this.forgetSubject(subjectId));
    listener.on(IDENTITY_ADDED_CHANNEL, (key) => this.forgetKey(key));
    listener.on(SUPPRESSION_CHANGED_CHANNEL, (key) => this.forgetKey(key));
    listener.onLost(() => this.clear());
  }

  onApplicationBootstrap(): void {
    // Only a process that serves the API answers checks at volume; a worker reads on demand.
    if (!this.roles.api) return;
    // Loads once the LISTEN connection is up, and again after every reconnection.
    this.rebuildTimer = setInterval(() => void this.rebuild(), REBUILD_POLL_MS);
    this.rebuildTimer.unref();
    void this.listener.waitUntilLive().then(() => this.rebuild());
  }

  onModuleDestroy(): void {
    if (this.rebuildTimer) clearInterval(this.rebuildTimer);
    this.rebuildTimer = null;
    this.generation++;
  }

  /** How many people the in-memory projection holds, and whether its load has finished (for tests, metrics). */
  get indexStatus(): { state: 'empty' | 'loading' | 'ready'; subjects: number; keys: number } {
    return { state: this.indexState, subjects: this.bySubject.size, keys: this.byKey.size };
  }

  private clear() {
    this.stale.keep(this.byKey, this.bySubject, this.indexState === 'ready');
    this.metrics.consentProjectionReady.set(0);
    this.invalidations++;
    this.generation++;
    this.indexState = 'empty';
    this.loadDirty = null;
    this.byKey.clear();
    this.bySubject.clear();
    this.nobody.clear();
    this.suppressed.clear();
    this.unheld.reset();
  }

  private evict(entry: Entry) {
    for (const key of entry.keys) if (this.byKey.get(key) === entry) this.byKey.delete(key);
    if (this.bySubject.get(entry.subjectId) === entry) this.bySubject.delete(entry.subjectId);
    this.unheld.changed(entry.keys);
  }

  private forgetSubject(subjectId: string) {
    this.invalidations++;
    this.loadDirty?.add(subjectId);
    const entry = this.bySubject.get(subjectId);
    if (entry) this.evict(entry);
    this.nobody.delete(`subject:${subjectId}`);
  }

  private forgetKey(key: string) {
    this.invalidations++;
    this.loadDirty?.add(key);
    this.nobody.delete(key);
    this.suppressed.delete(key);
    this.unheld.changed([key]);
    const entry = this.byKey.get(key);
    if (entry) this.evict(entry);
  }

  private intern(value: string): string {
    const known = this.interned.get(value);
    if (known !== undefined) return known;
    if (this.interned.size < 10_000) this.interned.set(value, value);
    return value;
  }

  /** Keeps a person read from the database (one key, or by subject id when key is null); false: memory is full. */
  private install(subjectId: string, rows: FullStateRow[], flag: RightsFlag, key: string | null): boolean {
    let entry = this.bySubject.get(subjectId);
    if (!entry) {
      if (this.bySubject.size >= ConsentQueryService.limits.subjects) return false;
      entry = { subjectId, rows, flag, keys: [] };
      this.bySubject.set(subjectId, entry);
    }
    if (key && this.byKey.get(key) !== entry) {
      entry.keys.push(key);
      this.byKey.set(key, entry);
    }
    return true;
  }

  /** Loads the whole projection into memory, batch by batch; a no-op unless it is empty and LISTEN is live. */
  private async rebuild(): Promise<void> {
    if (this.indexState !== 'empty' || !this.listener.live || !this.rebuildTimer) return;
    const generation = this.generation;
    const dirty = new Set<string>();
    this.indexState = 'loading';
    this.loadDirty = dirty;
    this.unheld.begin();
    const max = ConsentQueryService.limits.subjects;
    const started = Date.now();
    try {
      const held = ConsentQueryService.limits.suppressedKeys;
      const suppressed = await this.suppressions.activeKeys(LOOKUP_KINDS, held + 1);
      if (generation !== this.generation || !this.listener.live) return;
      this.unheld.loadSuppressions(
        suppressed.length > held
          ? null
          : suppressed.map((r) => IdentityService.cacheKey(r.kind, r.value_hash)),
      );
      let after = '00000000-0000-0000-0000-000000000000';
      for (;;) {
        const rows = await this.projection.loadBatch(after, LOAD_BATCH, LOOKUP_KINDS);
        if (generation !== this.generation || !this.listener.live) return;
        const batch = new Map<string, { rows: FullStateRow[]; keys: string[]; flag: RightsFlag }>();
        for (const r of rows) {
          let subject = batch.get(r.subject_id);
          if (!subject) batch.set(r.subject_id, (subject = { rows: [], keys: [], flag: null }));
          if (r.kind !== null && r.value_hash !== null) {
            subject.keys.push(IdentityService.cacheKey(r.kind as IdentityKind, r.value_hash));
          } else {
            subject.flag = flagOf(r);
            if (r.status === null) continue;
            subject.rows.push({
              purpose: this.intern(r.purpose as string),
              channel: this.intern(r.channel as string),
              scope: this.intern(r.scope as string),
              status: r.status,
              capturedAt: new Date(r.captured_at as Date),
              source: this.intern(r.source as string),
              eventId: r.event_id as string,
            });
          }
        }
        for (const [subjectId, subject] of batch) {
          if (subjectId > after) after = subjectId;
          // A change notified since the load began may be missing from its snapshot: read it when asked. So
          // is a person read from the database meanwhile (held by one key): their other keys are read too.
          if (
            dirty.has(subjectId) ||
            subject.keys.some((k) => dirty.has(k)) ||
            this.bySubject.has(subjectId)
          ) {
            this.unheld.changed(subject.keys.filter((k) => !this.byKey.has(k)));
            continue;
          }
          if (this.bySubject.size >= max) break;
          const entry: Entry = { subjectId, rows: subject.rows, flag: subject.flag, keys: subject.keys };
          this.bySubject.set(subjectId, entry);
          for (const key of subject.keys) this.byKey.set(key, entry);
        }
        if (batch.size < LOAD_BATCH || this.bySubject.size >= max) break;
      }
      this.unheld.finish(this.bySubject.size < max);
      this.indexState = 'ready';
      this.metrics.consentProjectionReady.set(1);
      this.metrics.consentProjectionPeople.set(this.bySubject.size);
      this.stale.drop();
      this.logger.log(
        {
          subjects: this.bySubject.size,
          keys: this.byKey.size,
          unknownFromMemory: this.unheld.status.complete,
          ms: Date.now() - started,
        },
        'consent projection loaded into memory',
      );
    } catch (error) {
      this.logger.warn(
        { err: { message: (error as Error).message } },
        'could not load the consent projection',
      );
      if (generation === this.generation) {
        this.indexState = 'empty';
        this.unheld.reset();
      }
    } finally {
      if (this.loadDirty === dirty) this.loadDirty = null;
    }
  }

  /** Whether memory holds the person a cache key names, now (and may be trusted). */
  private readonly isKnown = (key: string): boolean => this.listener.live && this.byKey.has(key);

  /** The blind-index key of a lookup (identity: null for a subject id); exactly one identifier must be named. */
  private lookupKey(lookup: SubjectLookup): {
    kind: 'phone' | 'email' | 'subject';
    identity: LookupKey | null;
    key: string;
  } {
    // Counted without building arrays: this runs for every check.
    const named =
      Number(lookup.phone !== undefined) +
      Number(lookup.email !== undefined) +
      Number(lookup.subject_id !== undefined);
    if (named !== 1) {
      const given = (['phone', 'email', 'subject_id'] as const).filter((k) => lookup[k] !== undefined);
      throw new ConsentRequestInvalidError('Give exactly one of phone, email or subject_id.', [
        { field: given[1] ?? 'phone', message: 'exactly one of phone, email or subject_id is required' },
      ]);
    }
    if (lookup.subject_id) return { kind: 'subject', identity: null, key: `subject:${lookup.subject_id}` };
    const kind = lookup.phone !== undefined ? 'phone' : 'email';
    const found = this.identities.lookupKey(kind, (lookup.phone ?? lookup.email) as string, this.isKnown);
    if (!found)
      throw new ConsentRequestInvalidError(`Invalid ${kind}.`, [
        { field: kind, message: `is not a valid ${kind}` },
      ]);
    return { kind, identity: found, key: found.key };
  }

  private async load(lookup: ReturnType<ConsentQueryService['lookupKey']>): Promise<CachedSubject> {
    const rows: SubjectStateRow[] =
      lookup.kind === 'subject'
        ? await this.projection.statesOfSubject(lookup.key.slice('subject:'.length))
        : await this.projection.statesOfIdentity(lookup.kind, lookup.identity!.hash);
    if (rows.length === 0 && lookup.kind !== 'subject') {
      // Nobody is known by it: an erased person's identifier still answers erased (rare: memoised below).
      // Only here (rare, memoised) do previous blind-index keys cost anything: suppression entries keep theirs.
      const { normalised, hash } = lookup.identity!;
      const key = this.identities.suppressionKey(lookup.kind, normalised, hash);
      const [suppressed] = await this.suppressions.activeAmong([key]);
      if (suppressed) return SUPPRESSED;
    }
    return {
      subjectId: rows[0]?.subject_id ?? null,
      flag: rows[0] ? flagOf(rows[0]) : null,
      rows: rows
        .filter((r) => r.status !== null)
        .map((r) => ({
          purpose: r.purpose as string,
          channel: r.channel as string,
          scope: r.scope as string,
          status: r.status as ConsentStatus,
          capturedAt: new Date(r.captured_at as Date),
          source: r.source as string,
          eventId: r.event_id as string,
        })),
    };
  }

  /** What memory holds for a lookup, when it may be trusted (LISTEN live); undefined when it must be read. */
  private cached(key: ReturnType<ConsentQueryService['lookupKey']>, now: number): CachedSubject | undefined {
    if (!this.listener.live) return undefined;
    const entry =
      key.kind === 'subject'
        ? this.bySubject.get(key.key.slice('subject:'.length).toLowerCase())
        : this.byKey.get(key.key);
    if (entry) return entry;
    const nobodyKey = key.kind === 'subject' ? key.key.toLowerCase() : key.key;
    const until = this.nobody.get(nobodyKey);
    if (until !== undefined && until > now) return NOBODY;
    const suppressedUntil = this.suppressed.get(nobodyKey);
    if (suppressedUntil !== undefined && suppressedUntil > now) return SUPPRESSED;
    if (key.kind === 'subject') return undefined;
    const unheld = this.unheld.answer(this.keysOf(key));
    return unheld === 'nobody' ? NOBODY : unheld === 'suppressed' ? SUPPRESSED : undefined;
  }

  /** A phone's or email's cache key, then its keys under previous blind-index keys (suppressions keep those). */
  private keysOf(key: ReturnType<ConsentQueryService['lookupKey']>): string[] {
    const previous = this.identities.previousKeys(key.kind as IdentityKind, key.identity!.normalised);
    return previous.length ? [key.key, ...previous] : [key.key];
  }

  private async resolve(lookup: SubjectLookup): Promise<CachedSubject> {
    const key = this.lookupKey(lookup);
    const now = Date.now();
    const cached = this.cached(key, now);
    if (cached) return cached;
    const live = this.listener.live;
    const invalidations = this.invalidations;
    const generation = this.generation;
    const loaded = await this.load(key);
    if (
      live &&
      this.listener.live &&
      invalidations === this.invalidations &&
      generation === this.generation
    ) {
      if (loaded.subjectId) {
        const held = this.install(
          loaded.subjectId,
          loaded.rows,
          loaded.flag,
          key.kind === 'subject' ? null : key.key,
        );
        if (held && key.kind !== 'subject') this.unheld.read(this.keysOf(key), 'person');
      } else {
        const memo = loaded === SUPPRESSED ? this.suppressed : this.nobody;
        if (memo.size >= NOBODY_MAX) memo.clear();
        memo.set(key.kind === 'subject' ? key.key.toLowerCase() : key.key, now + NOBODY_TTL_MS);
        if (key.kind !== 'subject')
          this.unheld.read(this.keysOf(key), loaded === SUPPRESSED ? 'suppressed' : 'nobody');
      }
    }
    return loaded;
  }

  async check(query: CheckQuery): Promise<CheckResult> {
    let stale = false;
    const subject = await this.resolve(query).catch((error: unknown) => {
      const key = this.lookupKey(query);
      const lookup =
        key.kind === 'subject' ? { subjectId: key.key.slice(8).toLowerCase() } : { key: key.key };
      const kept = this.stale.answer(error, lookup, NOBODY);
      if (!kept) throw error;
      stale = true;
      return kept;
    });
    const result = this.answer(query, subject);
    return stale ? { ...result, stale: true } : result;
  }

  /**
   * check(), without a promise, when memory may answer (the person or "nobody" is held and trusted);
   * undefined when the answer needs the database or the query is refused (then call check()).
   */
  checkFromMemory(query: CheckQuery): CheckResult | undefined {
    let key: ReturnType<ConsentQueryService['lookupKey']>;
    try {
      key = this.lookupKey(query);
    } catch {
      return undefined;
    }
    const subject = this.cached(key, Date.now());
    return subject && this.answer(query, subject);
  }

  /** The one place a check's answer is made, from what is known of the person. */
  private answer(query: CheckQuery, subject: CachedSubject): CheckResult {
    const purpose = query.purpose ?? 'marketing';
    const channel = query.channel ?? 'whatsapp';
    const scope = query.scope ?? ALL_SCOPES;
    if (subject.flag === 'erased') {
      this.checksCounted.false.inc();
      return { allowed: false, status: 'unknown', reason: 'erased', scope, captured_at: null };
    }
    const rows = subject.rows.filter((r) => r.purpose === purpose && r.channel === channel);
    const state = scope === ALL_SCOPES ? strictestOverAll(rows) : effectiveState(rows, scope);
    const result: CheckResult = subject.flag
      ? {
          allowed: false,
          status: state?.status ?? 'unknown',
          reason: subject.flag,
          scope,
          captured_at: state ? state.capturedAt.toISOString() : null,
        }
      : state
        ? {
            allowed: state.status === 'granted',
            status: state.status,
            reason: state.status === 'granted' ? 'consent_granted' : 'consent_withdrawn',
            scope,
            captured_at: state.capturedAt.toISOString(),
          }
        : { allowed: false, status: 'unknown', reason: 'no_consent', scope, captured_at: null };
    (result.allowed ? this.checksCounted.true : this.checksCounted.false).inc();
    return result;
  }

  async states(lookup: SubjectLookup) {
    const subject = await this.resolve(lookup);
    if (!subject.subjectId) throw new PersonNotFoundError('No person is known by that identifier.');
    const asked = lookup.subject_id?.toLowerCase();
    return {
      subject_id: subject.subjectId,
      // Only when the id asked about was merged into this person (the answer of everyone else is unchanged).
      ...(asked && asked !== subject.subjectId ? { redirected_from: asked } : {}),
      states: subject.rows
        .slice()
        .sort((a, b) =>
          `${a.purpose}/${a.channel}/${a.scope}`.localeCompare(`${b.purpose}/${b.channel}/${b.scope}`),
        )
        .map((r) => ({
          purpose: r.purpose,
          channel: r.channel,
          scope: r.scope,
          status: r.status,
          captured_at: r.capturedAt.toISOString(),
          source: r.source,
          event_id: r.eventId,
        })),
    };
  }
}

/**
 * Asked about "every number": allowed only if no number has been withdrawn in force. The strictest answer
 * is the safe one before a send whose number is not named.
 */
function strictestOverAll(rows: readonly StateRow[]): StateRow | null {
  if (rows.length === 0) return null;
  // One row is its own scope's state, and no other scope's (the usual case: the check's hot path).
  if (rows.length === 1) return rows[0];
  const scopes = [...new Set(rows.map((r) => r.scope))];
  const effective = scopes.map((s) => effectiveState(rows, s)).filter((r): r is StateRow => r !== null);
  return effective.find((r) => r.status === 'withdrawn') ?? effective[0] ?? null;
}
