import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { NotFoundError, RequestValidationError } from '../../platform/http/problem';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { ConsentChangeListener } from './consent-change.listener';
import { buildConsentReceipt, type ReceiptSource } from './consent-receipt';
import { effectiveState, type StateRow } from './conflict-rules';
import { IdentityService } from './identity.service';
import { CONSENT_CHANGED_CHANNEL, IDENTITY_ADDED_CHANNEL } from './ledger.service';
import { ALL_SCOPES, type ConsentStatus } from './ledger.types';

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

export type CheckReason = 'consent_granted' | 'consent_withdrawn' | 'no_consent';

export interface CheckResult {
  allowed: boolean;
  status: ConsentStatus | 'unknown';
  reason: CheckReason;
  scope: string;
  captured_at: string | null;
}

interface FullStateRow extends StateRow {
  purpose: string;
  channel: string;
  source: string;
  eventId: string;
}

interface CachedSubject {
  subjectId: string | null;
  rows: FullStateRow[];
  until: number;
}

const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 200_000;

/**
 * The read side of the ledger: who a lookup names, their current states, "may I message?", and the
 * timeline with receipts. Checks are answered from a per-process cache of state rows that the ledger's
 * NOTIFY (sent on commit of every state change and every new identity) invalidates; while the LISTEN
 * connection is down, every check reads the database.
 */
@Injectable()
export class ConsentQueryService {
  private readonly cache = new Map<string, CachedSubject>();
  private readonly keysBySubject = new Map<string, Set<string>>();
  /** Bumped on every invalidation, so a read that overlapped one is not cached (it may predate the change). */
  private invalidations = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly identities: IdentityService,
    private readonly crypto: CryptoService,
    private readonly metrics: MetricsService,
    private readonly listener: ConsentChangeListener,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    listener.on(CONSENT_CHANGED_CHANNEL, (subjectId) => this.forgetSubject(subjectId));
    listener.on(IDENTITY_ADDED_CHANNEL, (key) => this.forgetKey(key));
    listener.onLost(() => this.clear());
  }

  private clear() {
    this.invalidations++;
    this.cache.clear();
    this.keysBySubject.clear();
  }

  private forgetSubject(subjectId: string) {
    this.invalidations++;
    for (const key of this.keysBySubject.get(subjectId) ?? []) this.cache.delete(key);
    this.keysBySubject.delete(subjectId);
  }

  private forgetKey(key: string) {
    this.invalidations++;
    const entry = this.cache.get(key);
    this.cache.delete(key);
    if (entry?.subjectId) this.forgetSubject(entry.subjectId);
  }

  /** The blind-index key of a lookup, validating that exactly one identifier was given. */
  private lookupKey(lookup: SubjectLookup): {
    kind: 'phone' | 'email' | 'subject';
    hash: Buffer | null;
    key: string;
  } {
    const given = (['phone', 'email', 'subject_id'] as const).filter((k) => lookup[k] !== undefined);
    if (given.length !== 1) {
      throw new RequestValidationError('Give exactly one of phone, email or subject_id.', [
        { field: given[1] ?? 'phone', message: 'exactly one of phone, email or subject_id is required' },
      ]);
    }
    if (lookup.subject_id) return { kind: 'subject', hash: null, key: `subject:${lookup.subject_id}` };
    const kind = lookup.phone !== undefined ? 'phone' : 'email';
    const hash = this.identities.lookupHash(kind, (lookup.phone ?? lookup.email) as string);
    if (!hash)
      throw new RequestValidationError(`Invalid ${kind}.`, [
        { field: kind, message: `is not a valid ${kind}` },
      ]);
    return { kind, hash, key: IdentityService.cacheKey(kind, hash) };
  }

  private async load(lookup: ReturnType<ConsentQueryService['lookupKey']>): Promise<CachedSubject> {
    const rows: {
      subject_id: string;
      purpose: string | null;
      channel: string | null;
      scope: string | null;
      status: ConsentStatus | null;
      captured_at: Date | null;
      source: string | null;
      event_id: string | null;
    }[] =
      lookup.kind === 'subject'
        ? await this.dataSource.query(
            `SELECT s.id AS subject_id, cs.purpose, cs.channel, cs.scope, cs.status, cs.captured_at, cs.source, cs.event_id
               FROM subject s LEFT JOIN consent_state cs ON cs.subject_id = s.id
              WHERE s.id = $1 AND s.erased_at IS NULL`,
            [lookup.key.slice('subject:'.length)],
          )
        : await this.dataSource.query(
            `SELECT si.subject_id, cs.purpose, cs.channel, cs.scope, cs.status, cs.captured_at, cs.source, cs.event_id
               FROM subject_identity si
               JOIN subject s ON s.id = si.subject_id AND s.erased_at IS NULL
               LEFT JOIN consent_state cs ON cs.subject_id = si.subject_id
              WHERE si.kind = $1 AND si.value_hash = $2`,
            [lookup.kind, lookup.hash],
          );
    return {
      subjectId: rows[0]?.subject_id ?? null,
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
      until: 0,
    };
  }

  private async resolve(lookup: SubjectLookup): Promise<CachedSubject> {
    const key = this.lookupKey(lookup);
    const now = Date.now();
    const cached = this.cache.get(key.key);
    if (cached && cached.until > now && this.listener.live) return cached;
    const live = this.listener.live;
    const invalidations = this.invalidations;
    const loaded = await this.load(key);
    if (live && this.listener.live && invalidations === this.invalidations) {
      if (this.cache.size >= CACHE_MAX) this.clear();
      loaded.until = now + CACHE_TTL_MS;
      this.cache.set(key.key, loaded);
      if (loaded.subjectId) {
        const keys = this.keysBySubject.get(loaded.subjectId) ?? new Set<string>();
        keys.add(key.key);
        this.keysBySubject.set(loaded.subjectId, keys);
      }
    }
    return loaded;
  }

  async check(query: CheckQuery): Promise<CheckResult> {
    const purpose = query.purpose ?? 'marketing';
    const channel = query.channel ?? 'whatsapp';
    const scope = query.scope ?? ALL_SCOPES;
    const subject = await this.resolve(query);
    const rows = subject.rows.filter((r) => r.purpose === purpose && r.channel === channel);
    const state = scope === ALL_SCOPES ? strictestOverAll(rows) : effectiveState(rows, scope);
    const result: CheckResult = state
      ? {
          allowed: state.status === 'granted',
          status: state.status,
          reason: state.status === 'granted' ? 'consent_granted' : 'consent_withdrawn',
          scope,
          captured_at: state.capturedAt.toISOString(),
        }
      : { allowed: false, status: 'unknown', reason: 'no_consent', scope, captured_at: null };
    this.metrics.consentChecks.inc({ allowed: String(result.allowed) });
    return result;
  }

  async states(lookup: SubjectLookup) {
    const subject = await this.resolve(lookup);
    if (!subject.subjectId) throw new NotFoundError('No person is known by that identifier.');
    return {
      subject_id: subject.subjectId,
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

  async timeline(subjectId: string) {
    const subjects: { id: string; created_at: Date; erased_at: Date | null }[] = await this.dataSource.query(
      `SELECT id, created_at, erased_at FROM subject WHERE id = $1`,
      [subjectId],
    );
    if (!subjects[0]) throw new NotFoundError(`No subject ${subjectId}`);
    const identities: { kind: string; created_at: Date }[] = await this.dataSource.query(
      `SELECT kind, created_at FROM subject_identity WHERE subject_id = $1 ORDER BY created_at, kind`,
      [subjectId],
    );
    const events: (ReceiptSource & {
      effect: string;
      source_event_id: string;
      received_at: Date;
      recorded_at: Date;
      payload_digest: string | null;
      inbox_id: string | null;
      evidence: Record<string, unknown>;
      sealed_evidence: Buffer | null;
      key_id: string | null;
    })[] = await this.dataSource.query(
      `SELECT id, subject_id, purpose, channel, scope, status, effect, source, source_event_id, method, actor,
              captured_at, received_at, recorded_at, legal_basis, notice_version, policy_url, language,
              payload_digest, inbox_id, evidence, sealed_evidence, key_id
         FROM consent_event WHERE subject_id = $1 ORDER BY captured_at, recorded_at`,
      [subjectId],
    );
    return {
      subject_id: subjectId,
      created_at: new Date(subjects[0].created_at).toISOString(),
      erased_at: subjects[0].erased_at ? new Date(subjects[0].erased_at).toISOString() : null,
      identities: identities.map((i) => ({ kind: i.kind, added_at: new Date(i.created_at).toISOString() })),
      events: events.map((e) => ({
        id: e.id,
        purpose: e.purpose,
        channel: e.channel,
        scope: e.scope,
        status: e.status,
        effect: e.effect,
        source: e.source,
        source_event_id: e.source_event_id,
        evidence: {
          method: e.method,
          actor: e.actor,
          captured_at: new Date(e.captured_at).toISOString(),
          received_at: new Date(e.received_at).toISOString(),
          recorded_at: new Date(e.recorded_at).toISOString(),
          legal_basis: e.legal_basis,
          notice_version: e.notice_version,
          policy_url: e.policy_url,
          language: e.language,
          payload_digest: e.payload_digest,
          inbox_id: e.inbox_id,
          details: e.evidence,
          personal:
            e.sealed_evidence && e.key_id
              ? (JSON.parse(
                  this.crypto.openText({ ciphertext: e.sealed_evidence, keyId: e.key_id }),
                ) as unknown)
              : null,
        },
        receipt: buildConsentReceipt({ ...e, captured_at: new Date(e.captured_at) }, this.config),
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
  const scopes = [...new Set(rows.map((r) => r.scope))];
  const effective = scopes.map((s) => effectiveState(rows, s)).filter((r): r is StateRow => r !== null);
  return effective.find((r) => r.status === 'withdrawn') ?? effective[0] ?? null;
}
