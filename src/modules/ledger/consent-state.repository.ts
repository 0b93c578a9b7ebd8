import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, In, type EntityManager, type Repository } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { ConsentStateEntity } from './entities/consent-state.entity';
import type { ConsentStatus, SubjectRightsFlags } from './ledger.types';

/** One state row of a person as the read side holds it (null columns: a person without any state). */
export interface SubjectStateRow {
  subject_id: string;
  purpose: string | null;
  channel: string | null;
  scope: string | null;
  status: ConsentStatus | null;
  captured_at: Date | null;
  source: string | null;
  event_id: string | null;
  /** Erasure requested or done (the check answers erased). */
  erased: boolean;
  restricted: boolean;
}

/** A row of the projection's bulk load: a state row (kind null) or an identity key row (state columns null). */
export interface ProjectionLoadRow extends SubjectStateRow {
  kind: string | null;
  value_hash: Buffer | null;
}

/** A state in force together with how the event that set it was expressed. */
export interface StateWithEventRow {
  subject_id: string;
  purpose: string;
  channel: string;
  scope: string;
  status: ConsentStatus;
  captured_at: Date;
  source: string;
  event_id: string;
  method: string | null;
  legal_basis: string | null;
}

export interface ConsentTotalsRow {
  status: string;
  states: string;
  subjects: string;
}

/** The state projection (consent_state) and the reads that join it with people and their identities. */
@Injectable()
export class ConsentStateRepository {
  private readonly pool: Pool;

  constructor(
    @InjectRepository(ConsentStateEntity) private readonly states: Repository<ConsentStateEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  /**
   * A person's states for one purpose and channel, every scope, read in the ledger transaction, and the
   * person they were merged into, if they were (a merge may have committed while the caller waited for the
   * writer lock: this statement, run after it, sees it).
   * raw SQL: ledger write path (inbox processing); the Repository API measured more CPU per event, and the
   * merge check rides on the same round trip.
   */
  async scopesOf(
    manager: EntityManager,
    subjectId: string,
    purpose: string,
    channel: string,
  ): Promise<{
    mergedInto: string | null;
    flags: SubjectRightsFlags;
    rows: Pick<ConsentStateEntity, 'scope' | 'status' | 'capturedAt'>[];
  }> {
    const rows: {
      scope: string;
      status: ConsentStatus;
      captured_at: Date;
      person: boolean | null;
      merged_into: string | null;
      erased: boolean | null;
      erasure_requested: boolean | null;
      objected: boolean | null;
    }[] = await manager.query(
      `SELECT scope, status, captured_at, NULL::boolean AS person, NULL::uuid AS merged_into, NULL::boolean AS erased,
              NULL::boolean AS erasure_requested, NULL::boolean AS objected
         FROM consent_state
        WHERE subject_id = $1 AND purpose = $2 AND channel = $3
       UNION ALL
       SELECT NULL, NULL, NULL, true, merged_into, erased_at IS NOT NULL, erasure_requested_at IS NOT NULL,
              objected_at IS NOT NULL
         FROM subject WHERE id = $1`,
      [subjectId, purpose, channel],
    );
    const person = rows.find((r) => r.person);
    return {
      mergedInto: person?.merged_into ?? null,
      flags: {
        erased: person?.erased ?? false,
        erasureRequested: person?.erasure_requested ?? false,
        objected: person?.objected ?? false,
      },
      rows: rows
        .filter((r) => !r.person)
        .map((r) => ({ scope: r.scope, status: r.status, capturedAt: r.captured_at })),
    };
  }

  /** Every scope's state of these people for one purpose and channel, read in the caller's transaction. */
  async scopesOfMany(
    manager: EntityManager,
    subjectIds: readonly string[],
    purpose: string,
    channel: string,
  ): Promise<{ subjectId: string; scope: string; status: ConsentStatus; capturedAt: Date }[]> {
    if (subjectIds.length === 0) return [];
    const rows = await manager.getRepository(ConsentStateEntity).find({
      select: { subjectId: true, scope: true, status: true, capturedAt: true },
      where: { subjectId: In([...subjectIds]), purpose, channel },
    });
    return rows.map((r) => ({
      subjectId: r.subjectId,
      scope: r.scope,
      status: r.status,
      capturedAt: new Date(r.capturedAt),
    }));
  }

  /**
   * raw SQL: bulk upsert of every scope the decision writes (unnest, ON CONFLICT … DO UPDATE with a
   * version bump), one statement in the ledger transaction.
   */
  async writeScopes(
    manager: EntityManager,
    s: Pick<
      ConsentStateEntity,
      'subjectId' | 'purpose' | 'channel' | 'status' | 'capturedAt' | 'source' | 'eventId'
    >,
    scopes: readonly string[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO consent_state (subject_id, purpose, channel, scope, status, captured_at, source, event_id)
       SELECT $1, $2, $3, s, $4, $5, $6, $7 FROM unnest($8::text[]) AS s
       ON CONFLICT ON CONSTRAINT pk_consent_state DO UPDATE
         SET status = EXCLUDED.status, captured_at = EXCLUDED.captured_at, source = EXCLUDED.source,
             event_id = EXCLUDED.event_id, version = consent_state.version + 1, updated_at = now()`,
      [s.subjectId, s.purpose, s.channel, s.status, s.capturedAt, s.source, s.eventId, scopes],
    );
  }

  /**
   * writeScopes for a batch of state rows (distinct subject × purpose × channel × scope), in one statement.
   * raw SQL: INSERT … SELECT FROM unnest(arrays) with writeScopes' upsert.
   */
  async writeMany(
    manager: EntityManager,
    rows: readonly Pick<
      ConsentStateEntity,
      'subjectId' | 'purpose' | 'channel' | 'scope' | 'status' | 'capturedAt' | 'source' | 'eventId'
    >[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO consent_state (subject_id, purpose, channel, scope, status, captured_at, source, event_id)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                            $7::text[], $8::uuid[])
       ON CONFLICT ON CONSTRAINT pk_consent_state DO UPDATE
         SET status = EXCLUDED.status, captured_at = EXCLUDED.captured_at, source = EXCLUDED.source,
             event_id = EXCLUDED.event_id, version = consent_state.version + 1, updated_at = now()`,
      [
        rows.map((r) => r.subjectId),
        rows.map((r) => r.purpose),
        rows.map((r) => r.channel),
        rows.map((r) => r.scope),
        rows.map((r) => r.status),
        rows.map((r) => r.capturedAt),
        rows.map((r) => r.source),
        rows.map((r) => r.eventId),
      ],
    );
  }

  /**
   * raw SQL, on the pg pool directly: the in-memory projection's bulk load (a CTE batch of people, their
   * states UNION ALL their lookup keys); measured at boot, where TypeORM's result mapping costs seconds.
   */
  async loadBatch(after: string, limit: number, kinds: readonly string[]): Promise<ProjectionLoadRow[]> {
    const { rows } = await this.pool.query<ProjectionLoadRow>(
      `WITH b AS (
         SELECT id, erasure_requested_at IS NOT NULL AS erased, restricted_at IS NOT NULL AS restricted
           FROM subject WHERE id > $1 AND erased_at IS NULL AND merged_into IS NULL ORDER BY id LIMIT $2
       )
       SELECT b.id AS subject_id, NULL::text AS kind, NULL::bytea AS value_hash, cs.purpose, cs.channel,
              cs.scope, cs.status, cs.captured_at, cs.source, cs.event_id, b.erased, b.restricted
         FROM b LEFT JOIN consent_state cs ON cs.subject_id = b.id
       UNION ALL
       SELECT si.subject_id, si.kind, si.value_hash, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, false
         FROM b JOIN subject_identity si ON si.subject_id = b.id
        WHERE si.kind = ANY($3::text[])`,
      [after, limit, kinds],
    );
    return rows;
  }

  /**
   * raw SQL: the consent check's read of a person not in memory (hot path, one round trip). An id merged
   * into another person answers for that person (subject_id is theirs); an erased person answers erased.
   */
  statesOfSubject(subjectId: string): Promise<SubjectStateRow[]> {
    return this.dataSource.query(
      `SELECT t.id AS subject_id, cs.purpose, cs.channel, cs.scope, cs.status, cs.captured_at, cs.source, cs.event_id,
              (t.erased_at IS NOT NULL OR t.erasure_requested_at IS NOT NULL) AS erased,
              t.restricted_at IS NOT NULL AS restricted
         FROM subject s
         JOIN subject t ON t.id = coalesce(s.merged_into, s.id)
         LEFT JOIN consent_state cs ON cs.subject_id = t.id
        WHERE s.id = $1`,
      [subjectId],
    );
  }

  /** raw SQL: the consent check's read by blind index (hot path, one round trip). */
  statesOfIdentity(kind: string, hash: Buffer): Promise<SubjectStateRow[]> {
    return this.dataSource.query(
      `SELECT si.subject_id, cs.purpose, cs.channel, cs.scope, cs.status, cs.captured_at, cs.source, cs.event_id,
              s.erasure_requested_at IS NOT NULL AS erased, s.restricted_at IS NOT NULL AS restricted
         FROM subject_identity si
         JOIN subject s ON s.id = si.subject_id AND s.erased_at IS NULL
         LEFT JOIN consent_state cs ON cs.subject_id = si.subject_id
        WHERE si.kind = $1 AND si.value_hash = $2`,
      [kind, hash],
    );
  }

  /** Every state of these people with the method and legal basis of the event that set it. */
  statesWithEventOf(subjectIds: readonly string[]): Promise<StateWithEventRow[]> {
    const query = this.states.createQueryBuilder('cs').innerJoin('cs.event', 'ce').select([]);
    for (const column of [
      'subject_id',
      'purpose',
      'channel',
      'scope',
      'status',
      'captured_at',
      'source',
      'event_id',
    ])
      query.addSelect(`cs.${column}`, column);
    return query
      .addSelect('ce.method', 'method')
      .addSelect('ce.legal_basis', 'legal_basis')
      .where('cs.subject_id = ANY(:subjectIds)', { subjectIds })
      .orderBy('cs.purpose')
      .addOrderBy('cs.channel')
      .addOrderBy('cs.scope')
      .getRawMany<StateWithEventRow>();
  }

  /** States and distinct people per status. */
  consentTotals(): Promise<ConsentTotalsRow[]> {
    return this.states
      .createQueryBuilder('cs')
      .select('cs.status', 'status')
      .addSelect('count(*)', 'states')
      .addSelect('count(DISTINCT cs.subject_id)', 'subjects')
      .groupBy('cs.status')
      .getRawMany<ConsentTotalsRow>();
  }
}
