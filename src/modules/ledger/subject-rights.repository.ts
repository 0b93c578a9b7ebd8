import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { IdentityKind } from './ledger.types';

/** The flags of a person's rights on subject (restricted_at, objected_at) and rectifying their identities. */
@Injectable()
export class SubjectRightsRepository {
  /**
   * Sets or clears restricted_at of the person an id answers for; the id of the person changed, null when it
   * already was so. raw SQL: UPDATE … RETURNING through a CTE, following a merge in the same statement.
   */
  async setRestricted(
    manager: EntityManager,
    subjectId: string,
    restricted: boolean,
  ): Promise<string | null> {
    const rows: { id: string }[] = await manager.query(
      `WITH u AS (
         UPDATE subject t SET restricted_at = CASE WHEN $2 THEN now() ELSE NULL END
           FROM subject s
          WHERE s.id = $1 AND t.id = coalesce(s.merged_into, s.id) AND (t.restricted_at IS NULL) = $2
         RETURNING t.id
       ) SELECT id FROM u`,
      [subjectId, restricted],
    );
    return rows[0]?.id ?? null;
  }

  async markObjected(manager: EntityManager, subjectId: string): Promise<void> {
    await manager.query(`UPDATE subject SET objected_at = coalesce(objected_at, now()) WHERE id = $1`, [
      subjectId,
    ]);
  }

  /** The person's identities of one kind (sealed), oldest first. */
  identitiesOfKind(
    manager: EntityManager,
    subjectId: string,
    kind: IdentityKind,
  ): Promise<{ id: string; value_hash: Buffer; value_ciphertext: Buffer; key_id: string }[]> {
    return manager.query(
      `SELECT id, value_hash, value_ciphertext, key_id FROM subject_identity
        WHERE subject_id = $1 AND kind = $2 ORDER BY created_at`,
      [subjectId, kind],
    );
  }

  async deleteIdentities(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(`DELETE FROM subject_identity WHERE id = ANY($1::uuid[])`, [ids]);
  }
}
