import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { IdentityKind } from './ledger.types';

/** The writes of forgetting a person, each in the caller's transaction (subject, subject_identity, consent_event). */
@Injectable()
export class SubjectErasureRepository {
  /** The person an id answers for (following a merge), with what erasure already did; null when unknown. */
  async personOf(
    manager: EntityManager,
    subjectId: string,
  ): Promise<{ id: string; erased: boolean; erasureRequested: boolean } | null> {
    const rows: { id: string; erased: boolean; erasure_requested: boolean }[] = await manager.query(
      `SELECT t.id, t.erased_at IS NOT NULL AS erased, t.erasure_requested_at IS NOT NULL AS erasure_requested
         FROM subject s JOIN subject t ON t.id = coalesce(s.merged_into, s.id)
        WHERE s.id = $1`,
      [subjectId],
    );
    return rows[0]
      ? { id: rows[0].id, erased: rows[0].erased, erasureRequested: rows[0].erasure_requested }
      : null;
  }

  /** The people merged into this one: their data and keys are the person's too. */
  async absorbedInto(manager: EntityManager, subjectId: string): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(`SELECT id FROM subject WHERE merged_into = $1`, [
      subjectId,
    ]);
    return rows.map((r) => r.id);
  }

  /** raw SQL: UPDATE … RETURNING id read through a CTE (TypeORM answers a bare UPDATE … RETURNING as [rows, n]). */
  async markErasureRequested(manager: EntityManager, subjectId: string): Promise<boolean> {
    const rows: { id: string }[] = await manager.query(
      `WITH u AS (
         UPDATE subject SET erasure_requested_at = now() WHERE id = $1 AND erasure_requested_at IS NULL RETURNING id
       ) SELECT id FROM u`,
      [subjectId],
    );
    return rows.length > 0;
  }

  /** raw SQL: DELETE … RETURNING through a CTE; the identities removed (for the readers' cache keys). */
  deleteIdentities(
    manager: EntityManager,
    subjectIds: readonly string[],
  ): Promise<{ kind: IdentityKind; value_hash: Buffer }[]> {
    return manager.query(
      `WITH d AS (DELETE FROM subject_identity WHERE subject_id = ANY($1::uuid[]) RETURNING kind, value_hash)
       SELECT kind, value_hash FROM d`,
      [subjectIds],
    );
  }

  /** The inbox deliveries these people's events came from. */
  async inboxIdsOf(manager: EntityManager, subjectIds: readonly string[]): Promise<string[]> {
    const rows: { inbox_id: string }[] = await manager.query(
      `SELECT DISTINCT inbox_id FROM consent_event WHERE subject_id = ANY($1::uuid[]) AND inbox_id IS NOT NULL`,
      [subjectIds],
    );
    return rows.map((r) => r.inbox_id);
  }

  /**
   * Strips the events of these people down to their pseudonymous skeleton: sealed evidence dropped, evidence keys
   * not in `keep` removed. The append-only trigger allows it only under consent_gateway.erasure, set for this
   * statement's span and cleared again, so nothing else in the transaction may rewrite the ledger.
   * raw SQL: set_config has no TypeORM API, and the jsonb filter is one statement over every event.
   */
  async stripEvents(
    manager: EntityManager,
    subjectIds: readonly string[],
    keep: readonly string[],
  ): Promise<number> {
    await manager.query(`SELECT set_config('consent_gateway.erasure', 'on', true)`);
    try {
      const rows: { id: string }[] = await manager.query(
        `WITH u AS (
           UPDATE consent_event SET sealed_evidence = NULL, key_id = NULL,
                  evidence = (SELECT coalesce(jsonb_object_agg(e.k, e.v), '{}'::jsonb)
                                FROM jsonb_each(consent_event.evidence) AS e(k, v) WHERE e.k = ANY($2::text[]))
            WHERE subject_id = ANY($1::uuid[])
              AND (sealed_evidence IS NOT NULL
                   OR EXISTS (SELECT 1 FROM jsonb_object_keys(consent_event.evidence) AS k WHERE k <> ALL($2::text[])))
           RETURNING id
         ) SELECT id FROM u`,
        [subjectIds, keep],
      );
      return rows.length;
    } finally {
      await manager.query(`SELECT set_config('consent_gateway.erasure', 'off', true)`);
    }
  }

  /**
   * Replaces the idempotency keys API clients and admins chose for these people's events (free text: a client may
   * have put an email in it) by a pseudonym of each, so the skeleton keeps no identifier in clear. Keys the gateway
   * minted (blind indexes, request ids) are left alone.
   * raw SQL: the append-only trigger allows it only under consent_gateway.erasure (set_config has no TypeORM API).
   */
  async pseudonymiseClientEventIds(
    manager: EntityManager,
    subjectIds: readonly string[],
    pseudonym: (sourceEventId: string) => string,
  ): Promise<number> {
    const rows: { id: string; source_event_id: string }[] = await manager.query(
      `SELECT id, source_event_id FROM consent_event
        WHERE subject_id = ANY($1::uuid[]) AND source IN ('api', 'admin') AND source_event_id NOT LIKE 'bi:%'`,
      [subjectIds],
    );
    if (rows.length === 0) return 0;
    await manager.query(`SELECT set_config('consent_gateway.erasure', 'on', true)`);
    try {
      await manager.query(
        `UPDATE consent_event e SET source_event_id = v.pseudonym
           FROM unnest($1::uuid[], $2::text[]) AS v(id, pseudonym) WHERE e.id = v.id`,
        [rows.map((r) => r.id), rows.map((r) => pseudonym(r.source_event_id))],
      );
    } finally {
      await manager.query(`SELECT set_config('consent_gateway.erasure', 'off', true)`);
    }
    return rows.length;
  }

  /** The forgotten people's state rows (rebuildable from the skeleton events; the check answers erased anyway). */
  async deleteStates(manager: EntityManager, subjectIds: readonly string[]): Promise<void> {
    await manager.query(`DELETE FROM consent_state WHERE subject_id = ANY($1::uuid[])`, [subjectIds]);
  }

  async markErased(manager: EntityManager, subjectIds: readonly string[]): Promise<void> {
    await manager.query(
      `UPDATE subject SET erased_at = now(), erasure_requested_at = coalesce(erasure_requested_at, now())
        WHERE id = ANY($1::uuid[])`,
      [subjectIds],
    );
  }
}
