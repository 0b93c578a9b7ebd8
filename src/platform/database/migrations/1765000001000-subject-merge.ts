import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One person across identifiers: a person absorbed into another (subject.merged_into) and the append-only
 * record of every merge (subject_merge), with its non-personal evidence.
 */
export class SubjectMerge1765000001000 implements MigrationInterface {
  name = 'SubjectMerge1765000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE subject
        ADD COLUMN merged_into uuid NULL CONSTRAINT fk_subject_merged_into REFERENCES subject(id) ON DELETE RESTRICT`);
    // Few people are ever merged: the index holds only them (a survivor's timeline looks them up).
    await q.query(
      `CREATE INDEX ix_subject_merged_into ON subject (merged_into) WHERE merged_into IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE subject_merge (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        survivor_id uuid NOT NULL CONSTRAINT fk_subject_merge_survivor REFERENCES subject(id) ON DELETE RESTRICT,
        merged_id uuid NOT NULL CONSTRAINT fk_subject_merge_merged REFERENCES subject(id) ON DELETE RESTRICT,
        reason text NOT NULL CONSTRAINT ck_subject_merge_reason CHECK (reason IN ('crm_record_joined_identifiers')),
        evidence jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_subject_merge_merged UNIQUE (merged_id)
      )`);
    await q.query(`CREATE INDEX ix_subject_merge_survivor ON subject_merge (survivor_id)`);

    // Append-only in the database itself, as consent_event is. Unlike consent_event there is no erasure
    // exception: a merge's evidence never holds identifier values, so erasure has nothing to strip here.
    await q.query(`
      CREATE FUNCTION subject_merge_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'subject_merge is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_subject_merge_append_only BEFORE UPDATE OR DELETE ON subject_merge
      FOR EACH ROW EXECUTE FUNCTION subject_merge_append_only()`);
    await q.query(`
      CREATE TRIGGER trg_subject_merge_no_truncate BEFORE TRUNCATE ON subject_merge
      FOR EACH STATEMENT EXECUTE FUNCTION subject_merge_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE subject_merge`);
    await q.query(`DROP FUNCTION subject_merge_append_only()`);
    await q.query(`DROP INDEX ix_subject_merged_into`);
    await q.query(`ALTER TABLE subject DROP COLUMN merged_into`);
  }
}
