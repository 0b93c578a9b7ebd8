import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { SuppressionEntity } from './entities/suppression.entity';
import type { SuppressionKey } from './identity.service';
import type { IdentityKind } from './ledger.types';

export interface ActiveSuppression {
  id: string;
  kind: IdentityKind;
  value_hash: Buffer;
  subject_id: string;
}

/** The suppression list (suppression): blind indexes of erased people's identifiers. */
@Injectable()
export class SuppressionRepository {
  constructor(@InjectRepository(SuppressionEntity) private readonly rows: Repository<SuppressionEntity>) {}

  /**
   * The suppressions in force among these identifiers, in the caller's transaction when given. An entry made under
   * a previous blind-index key is found by that key's index and answered with the current one (`value_hash`).
   * raw SQL: join on unnest of (kind, index searched, current index) triples, one round trip.
   */
  activeAmong(identifiers: readonly SuppressionKey[], manager?: EntityManager): Promise<ActiveSuppression[]> {
    if (identifiers.length === 0) return Promise.resolve([]);
    const searched = identifiers.flatMap((i) =>
      [i.hash, ...i.previous].map((hash) => ({ kind: i.kind, hash, current: i.hash })),
    );
    return (manager ?? this.rows.manager).query(
      `SELECT sp.id, sp.kind, x.current AS value_hash, sp.subject_id FROM suppression sp
         JOIN unnest($1::text[], $2::bytea[], $3::bytea[]) AS x(kind, hash, current)
           ON sp.kind = x.kind AND sp.value_hash = x.hash
        WHERE sp.lifted_at IS NULL`,
      [searched.map((s) => s.kind), searched.map((s) => s.hash), searched.map((s) => s.current)],
    );
  }

  /**
   * The identifiers of these kinds on the suppression list in force, at most `limit` (for the consent check's
   * in-memory copy: a caller asking one more than it holds learns whether there are more).
   * raw SQL: a plain read of two columns through the partial unique index, without entity hydration.
   */
  activeKeys(kinds: readonly string[], limit: number): Promise<{ kind: IdentityKind; value_hash: Buffer }[]> {
    return this.rows.manager.query(
      `SELECT kind, value_hash FROM suppression WHERE lifted_at IS NULL AND kind = ANY($1::text[]) LIMIT $2`,
      [kinds, limit],
    );
  }

  /**
   * Suppresses every identifier these people are known by (before their identities are deleted); an identifier
   * already suppressed stays as it is. Returns how many were added.
   * raw SQL: INSERT … SELECT with ON CONFLICT on the partial unique index (TypeORM cannot name its predicate).
   */
  async suppressIdentitiesOf(
    manager: EntityManager,
    subjectIds: readonly string[],
    skeletonId: string,
    requestId: string | null,
  ): Promise<number> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO suppression (kind, value_hash, subject_id, request_id)
       SELECT DISTINCT kind, value_hash, $2::uuid, $3::uuid FROM subject_identity WHERE subject_id = ANY($1::uuid[])
       ON CONFLICT (kind, value_hash) WHERE lifted_at IS NULL DO NOTHING
       RETURNING id`,
      [subjectIds, skeletonId, requestId],
    );
    return rows.length;
  }

  /** Lifts these suppressions (kept as history) because the person started a new relationship themselves. */
  async lift(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager
      .createQueryBuilder()
      .update(SuppressionEntity)
      .set({ liftedAt: () => 'now()', liftedReason: 'new_relationship' })
      .where('id = ANY(:ids)', { ids })
      .execute();
  }
}
