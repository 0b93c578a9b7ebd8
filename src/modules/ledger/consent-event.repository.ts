import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type EntityManager, type Repository } from 'typeorm';
import { ConsentEventEntity } from './entities/consent-event.entity';
import type { ConsentStatus, EventEffect } from './ledger.types';

/** The columns of a new ledger event, as the ledger has decided them. */
export type NewConsentEvent = Omit<ConsentEventEntity, 'id' | 'recordedAt' | 'subject' | 'inbox'>;

export interface RecordedEventRef {
  id: string;
  subjectId: string;
  effect: EventEffect;
}

export interface EventsPerDay {
  day: string;
  granted: number;
  withdrawn: number;
}

/** The append-only ledger of consent events (consent_event). */
@Injectable()
export class ConsentEventRepository {
  constructor(
    @InjectRepository(ConsentEventEntity) private readonly events: Repository<ConsentEventEntity>,
  ) {}

  /** Runs fn in one transaction: the unit in which events, state and follow-up jobs commit together. */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.events.manager.transaction(fn);
  }

  /**
   * The event already recorded for this source event, if any (idempotency key).
   * raw SQL: ledger write path (inbox processing); the Repository API measured more CPU per event.
   */
  async findBySource(
    manager: EntityManager,
    source: string,
    sourceEventId: string,
  ): Promise<RecordedEventRef | null> {
    const rows: { id: string; subject_id: string; effect: EventEffect }[] = await manager.query(
      `SELECT id, subject_id, effect FROM consent_event WHERE source = $1 AND source_event_id = $2`,
      [source, sourceEventId],
    );
    return rows[0] ? { id: rows[0].id, subjectId: rows[0].subject_id, effect: rows[0].effect } : null;
  }

  /**
   * findBySource for many source events at once, keyed `${source}\u0000${sourceEventId}`.
   * raw SQL: a join on unnest of (source, id) pairs, one round trip for a batch.
   */
  async findBySources(
    manager: EntityManager,
    keys: readonly { source: string; sourceEventId: string }[],
  ): Promise<Map<string, RecordedEventRef>> {
    if (keys.length === 0) return new Map();
    const rows: {
      source: string;
      source_event_id: string;
      id: string;
      subject_id: string;
      effect: EventEffect;
    }[] = await manager.query(
      `SELECT e.source, e.source_event_id, e.id, e.subject_id, e.effect FROM consent_event e
           JOIN unnest($1::text[], $2::text[]) AS x(source, source_event_id)
             ON e.source = x.source AND e.source_event_id = x.source_event_id`,
      [keys.map((k) => k.source), keys.map((k) => k.sourceEventId)],
    );
    return new Map(
      rows.map((r) => [
        ConsentEventRepository.sourceKey(r.source, r.source_event_id),
        { id: r.id, subjectId: r.subject_id, effect: r.effect },
      ]),
    );
  }

  static sourceKey(source: string, sourceEventId: string): string {
    return `${source}\u0000${sourceEventId}`;
  }

  /**
   * insertIfNew for a batch, in one statement; returns the ids of the rows written, keyed by sourceKey (an event
   * a concurrent transaction recorded first is absent).
   * raw SQL: INSERT … SELECT FROM unnest(arrays) with the same ON CONFLICT as insertIfNew.
   */
  async insertManyIfNew(
    manager: EntityManager,
    events: readonly NewConsentEvent[],
  ): Promise<Map<string, string>> {
    if (events.length === 0) return new Map();
    const col = <T>(pick: (e: NewConsentEvent) => T) => events.map(pick);
    const rows: { id: string; source: string; source_event_id: string }[] = await manager.query(
      `INSERT INTO consent_event (subject_id, purpose, channel, scope, status, effect, source, source_event_id, method,
          actor, captured_at, received_at, legal_basis, notice_version, policy_url, language, payload_digest, inbox_id,
          evidence, sealed_evidence, key_id)
       SELECT x.subject_id, x.purpose, x.channel, x.scope, x.status, x.effect, x.source, x.source_event_id, x.method,
              x.actor, x.captured_at, x.received_at, x.legal_basis, x.notice_version, x.policy_url, x.language,
              x.payload_digest, x.inbox_id, x.evidence::jsonb, x.sealed_evidence, x.key_id
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::text[], $14::text[],
                     $15::text[], $16::text[], $17::text[], $18::uuid[], $19::text[], $20::bytea[], $21::text[])
           AS x(subject_id, purpose, channel, scope, status, effect, source, source_event_id, method, actor, captured_at,
                received_at, legal_basis, notice_version, policy_url, language, payload_digest, inbox_id, evidence,
                sealed_evidence, key_id)
       ON CONFLICT ON CONSTRAINT uq_consent_event_source DO NOTHING
       RETURNING id, source, source_event_id`,
      [
        col((e) => e.subjectId),
        col((e) => e.purpose),
        col((e) => e.channel),
        col((e) => e.scope),
        col((e) => e.status),
        col((e) => e.effect),
        col((e) => e.source),
        col((e) => e.sourceEventId),
        col((e) => e.method),
        col((e) => e.actor),
        col((e) => e.capturedAt),
        col((e) => e.receivedAt),
        col((e) => e.legalBasis),
        col((e) => e.noticeVersion),
        col((e) => e.policyUrl),
        col((e) => e.language),
        col((e) => e.payloadDigest),
        col((e) => e.inboxId),
        col((e) => JSON.stringify(e.evidence)),
        col((e) => e.sealedEvidence),
        col((e) => e.keyId),
      ],
    );
    return new Map(rows.map((r) => [ConsentEventRepository.sourceKey(r.source, r.source_event_id), r.id]));
  }

  /**
   * raw SQL: INSERT … ON CONFLICT ON CONSTRAINT uq_consent_event_source DO NOTHING RETURNING id, the
   * idempotent append (TypeORM's orIgnore cannot name the constraint nor say whether a row was written).
   * Null when a concurrent transaction recorded the same source event first.
   */
  async insertIfNew(manager: EntityManager, e: NewConsentEvent): Promise<string | null> {
    const inserted: { id: string }[] = await manager.query(
      `INSERT INTO consent_event (subject_id, purpose, channel, scope, status, effect, source, source_event_id, method,
          actor, captured_at, received_at, legal_basis, notice_version, policy_url, language, payload_digest, inbox_id,
          evidence, sealed_evidence, key_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)
       ON CONFLICT ON CONSTRAINT uq_consent_event_source DO NOTHING
       RETURNING id`,
      [
        e.subjectId,
        e.purpose,
        e.channel,
        e.scope,
        e.status,
        e.effect,
        e.source,
        e.sourceEventId,
        e.method,
        e.actor,
        e.capturedAt,
        e.receivedAt,
        e.legalBasis,
        e.noticeVersion,
        e.policyUrl,
        e.language,
        e.payloadDigest,
        e.inboxId,
        JSON.stringify(e.evidence),
        e.sealedEvidence,
        e.keyId,
      ],
    );
    return inserted[0]?.id ?? null;
  }

  /**
   * The events of these people (one person and everyone merged into them) in the order they happened
   * (then in the order they were recorded).
   */
  /** Oldest first: by when each was captured, then recorded, then by id, so the order is the same on every read. */
  timelineOf(subjectIds: readonly string[]): Promise<ConsentEventEntity[]> {
    return this.events.find({
      where: { subjectId: In([...subjectIds]) },
      order: { capturedAt: 'ASC', recordedAt: 'ASC', id: 'ASC' },
    });
  }

  /** The status each of these events recorded (absent: no such event). */
  async statusesOf(eventIds: readonly string[]): Promise<Map<string, ConsentStatus>> {
    if (eventIds.length === 0) return new Map();
    const rows = await this.events.find({
      select: { id: true, status: true },
      where: { id: In([...new Set(eventIds)]) },
    });
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  /**
   * Consent events recorded per UTC day and source, split by status, the last `days` days up to today (days
   * without events are absent). Read from ix_consent_event_recorded alone.
   * raw SQL: count(*) FILTER per day, which the query builder would only wrap.
   */
  async perDayBySource(
    days: number,
  ): Promise<{ day: string; source: string; granted: number; withdrawn: number }[]> {
    const rows: { day: string; source: string; granted: string; withdrawn: string }[] =
      await this.events.query(
        `SELECT to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, e.source,
              count(*) FILTER (WHERE e.status = 'granted') AS granted,
              count(*) FILTER (WHERE e.status = 'withdrawn') AS withdrawn
         FROM consent_event e
        WHERE e.recorded_at >= (((now() AT TIME ZONE 'UTC')::date - ($1::int - 1)) AT TIME ZONE 'UTC')
        GROUP BY 1, 2 ORDER BY 1, 2`,
        [days],
      );
    return rows.map((r) => ({
      day: r.day,
      source: r.source,
      granted: Number(r.granted),
      withdrawn: Number(r.withdrawn),
    }));
  }

  /**
   * The status an event recorded, or null when there is no such event. Compared as text, so an id that is
   * not a UUID (a vendor's field edited by hand) finds nothing instead of failing the caller's transaction.
   */
  async statusOf(eventId: string, manager?: EntityManager): Promise<ConsentStatus | null> {
    const row = await (manager ?? this.events.manager)
      .createQueryBuilder(ConsentEventEntity, 'e')
      .select('e.status', 'status')
      .where('e.id::text = :eventId', { eventId })
      .getRawOne<{ status: ConsentStatus }>();
    return row?.status ?? null;
  }

  /** Withdrawals that changed someone's consent since the start of today (UTC). */
  async withdrawalsToday(): Promise<number> {
    const row = await this.events
      .createQueryBuilder('e')
      .select('count(*)', 'n')
      .where(`e.status = 'withdrawn'`)
      .andWhere(`e.effect = 'changed'`)
      .andWhere(`e.recorded_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`)
      .getRawOne<{ n: string }>();
    return Number(row?.n ?? 0);
  }

  /** raw SQL: generate_series of UTC days LEFT JOINed to the events (TypeORM cannot select from a function). */
  async eventsPerDay(days: number): Promise<EventsPerDay[]> {
    const rows: { day: string; granted: string; withdrawn: string }[] = await this.events.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day,
              count(e.id) FILTER (WHERE e.status = 'granted') AS granted,
              count(e.id) FILTER (WHERE e.status = 'withdrawn') AS withdrawn
         FROM generate_series(
                (now() AT TIME ZONE 'UTC')::date - ($1::int - 1), (now() AT TIME ZONE 'UTC')::date, interval '1 day'
              ) AS day
         LEFT JOIN consent_event e
           ON e.recorded_at >= (day AT TIME ZONE 'UTC') AND e.recorded_at < ((day + interval '1 day') AT TIME ZONE 'UTC')
        GROUP BY day ORDER BY day`,
      [days],
    );
    return rows.map((r) => ({ day: r.day, granted: Number(r.granted), withdrawn: Number(r.withdrawn) }));
  }
}
