import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { SubjectMergeEntity, type MergeReason } from './entities/subject-merge.entity';
import { SubjectEntity } from './entities/subject.entity';
import type { ConsentStatus, IdentityKind } from './ledger.types';

/** A person who owns one of the identifiers being resolved. */
export interface IdentifierOwner {
  id: string;
  createdAt: Date;
  erased: boolean;
}

/** One consent_state row, every column the merge carries over to the survivor. */
export interface MergeStateRow {
  subjectId: string;
  purpose: string;
  channel: string;
  scope: string;
  status: ConsentStatus;
  capturedAt: Date;
  source: string;
  eventId: string;
}

/**
 * The writes and reads of merging people (subject.merged_into, subject_merge) and of following a merge
 * from an absorbed person to the one they became.
 */
@Injectable()
export class SubjectMergeRepository {
  constructor(
    @InjectRepository(SubjectEntity) private readonly subjects: Repository<SubjectEntity>,
    @InjectRepository(SubjectMergeEntity) private readonly merges: Repository<SubjectMergeEntity>,
  ) {}

  /**
   * Every person who owns one of these identifiers, oldest first (created_at, then id: the survivor of a
   * merge is the first). raw SQL: join on unnest of (kind, hash) pairs, one round trip.
   */
  async ownersOf(
    manager: EntityManager,
    kinds: readonly IdentityKind[],
    hashes: readonly Buffer[],
  ): Promise<IdentifierOwner[]> {
    const rows: { id: string; created_at: Date; erased: boolean }[] = await manager.query(
      `SELECT DISTINCT s.id, s.created_at, s.erased_at IS NOT NULL AS erased
         FROM subject_identity si
         JOIN unnest($1::text[], $2::bytea[]) AS x(kind, hash) ON si.kind = x.kind AND si.value_hash = x.hash
         JOIN subject s ON s.id = si.subject_id
        ORDER BY s.created_at, s.id`,
      [kinds, hashes],
    );
    return rows.map((r) => ({ id: r.id, createdAt: new Date(r.created_at), erased: r.erased }));
  }

  /**
   * The writer locks of several people, taken in the order given (the caller sorts, so two merges of
   * overlapping people cannot deadlock). The same key as SubjectRepository.lockWriter.
   * raw SQL: advisory locks have no TypeORM API.
   */
  async lockWriters(manager: EntityManager, subjectIds: readonly string[]): Promise<void> {
    await manager.query(
      `SELECT pg_advisory_xact_lock(hashtextextended(k, 7)) FROM unnest($1::text[]) WITH ORDINALITY AS x(k, n)
        ORDER BY n`,
      [subjectIds],
    );
  }

  /** raw SQL: repoints every identifier of the absorbed people in one statement; returns those moved. */
  moveIdentities(
    manager: EntityManager,
    survivorId: string,
    mergedIds: readonly string[],
  ): Promise<{ kind: IdentityKind; value_hash: Buffer }[]> {
    return manager.query(
      // As a CTE read by a SELECT: TypeORM answers a bare UPDATE … RETURNING as [rows, count].
      `WITH moved AS (
         UPDATE subject_identity SET subject_id = $1 WHERE subject_id = ANY($2::uuid[]) RETURNING kind, value_hash
       )
       SELECT kind, value_hash FROM moved`,
      [survivorId, mergedIds],
    );
  }

  /**
   * Marks the absorbed people as merged into the survivor, and repoints anyone merged into them earlier
   * (so an absorbed id is always one step from the person it became).
   */
  async markMerged(manager: EntityManager, survivorId: string, mergedIds: readonly string[]): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(SubjectEntity)
      .set({ mergedInto: survivorId })
      .where('id = ANY(:mergedIds) OR merged_into = ANY(:mergedIds)', { mergedIds })
      .execute();
  }

  /** One subject_merge row per absorbed person. */
  async recordMerges(
    manager: EntityManager,
    survivorId: string,
    mergedIds: readonly string[],
    reason: MergeReason,
    evidence: SubjectMergeEntity['evidence'],
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(SubjectMergeEntity)
      .values(mergedIds.map((mergedId) => ({ survivorId, mergedId, reason, evidence })))
      .execute();
  }

  /** Every state row of these people, in the caller's transaction, oldest capture first. */
  async statesOf(manager: EntityManager, subjectIds: readonly string[]): Promise<MergeStateRow[]> {
    const rows: {
      subject_id: string;
      purpose: string;
      channel: string;
      scope: string;
      status: ConsentStatus;
      captured_at: Date;
      source: string;
      event_id: string;
    }[] = await manager.query(
      `SELECT subject_id, purpose, channel, scope, status, captured_at, source, event_id FROM consent_state
        WHERE subject_id = ANY($1::uuid[])
        ORDER BY captured_at, (status = 'withdrawn'), subject_id, purpose, channel, scope`,
      [subjectIds],
    );
    return rows.map((r) => ({
      subjectId: r.subject_id,
      purpose: r.purpose,
      channel: r.channel,
      scope: r.scope,
      status: r.status,
      capturedAt: new Date(r.captured_at),
      source: r.source,
      eventId: r.event_id,
    }));
  }

  /** The absorbed people's projection rows, once folded into the survivor's (the events stay theirs). */
  async deleteStates(manager: EntityManager, subjectIds: readonly string[]): Promise<void> {
    await manager.query(`DELETE FROM consent_state WHERE subject_id = ANY($1::uuid[])`, [subjectIds]);
  }

  /** For each id given, the person it answers for now: itself, or the one it was merged into. */
  async survivorsOf(subjectIds: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.subjects
      .createQueryBuilder('s')
      .select('s.id', 'id')
      .addSelect('coalesce(s.merged_into, s.id)', 'survivor')
      .where('s.id = ANY(:subjectIds)', { subjectIds })
      .getRawMany<{ id: string; survivor: string }>();
    return new Map(rows.map((r) => [r.id, r.survivor]));
  }

  /** The people merged into this one (directly or through an earlier merge). */
  async mergedInto(survivorId: string): Promise<string[]> {
    const rows = await this.subjects.find({ select: { id: true }, where: { mergedInto: survivorId } });
    return rows.map((r) => r.id);
  }

  /** The merges that made this person: every merge whose absorbed person now answers to them. */
  mergesOf(absorbedIds: readonly string[]): Promise<SubjectMergeEntity[]> {
    if (absorbedIds.length === 0) return Promise.resolve([]);
    return this.merges
      .createQueryBuilder('m')
      .where('m.merged_id = ANY(:absorbedIds)', { absorbedIds })
      .orderBy('m.created_at', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .getMany();
  }
}
