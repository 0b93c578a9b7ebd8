import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data-subject rights in the ledger: a data key per person (crypto-shredding: erasure destroys it), the
 * suppression list of erased identifiers (blind indexes only), and the person's flags (erasure requested,
 * restricted, objected to direct marketing).
 */
export class SubjectKeysErasure1766000000000 implements MigrationInterface {
  name = 'SubjectKeysErasure1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE subject
        ADD COLUMN erasure_requested_at timestamptz NULL,
        ADD COLUMN restricted_at timestamptz NULL,
        ADD COLUMN objected_at timestamptz NULL`);

    // The data key itself never leaves memory unwrapped: wrapped_key is sealed by the master key key_id names.
    await q.query(`
      CREATE TABLE subject_key (
        subject_id uuid NOT NULL CONSTRAINT fk_subject_key_subject REFERENCES subject(id) ON DELETE CASCADE,
        wrapped_key bytea NOT NULL,
        key_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_subject_key PRIMARY KEY (subject_id)
      )`);

    await q.query(`
      CREATE TABLE suppression (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CONSTRAINT ck_suppression_kind
          CHECK (kind IN ('phone','wa_id','wa_user_id','wa_parent_user_id','email','hubspot_id','salesforce_id')),
        value_hash bytea NOT NULL,
        subject_id uuid NOT NULL CONSTRAINT fk_suppression_subject REFERENCES subject(id) ON DELETE RESTRICT,
        request_id uuid NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        lifted_at timestamptz NULL,
        lifted_reason text NULL CONSTRAINT ck_suppression_lifted_reason CHECK (lifted_reason IN ('new_relationship'))
      )`);
    // At most one suppression in force per identifier; lifted ones stay as history.
    await q.query(
      `CREATE UNIQUE INDEX uq_suppression_active ON suppression (kind, value_hash) WHERE lifted_at IS NULL`,
    );
    await q.query(`CREATE INDEX ix_suppression_subject ON suppression (subject_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE suppression`);
    await q.query(`DROP TABLE subject_key`);
    await q.query(`
      ALTER TABLE subject DROP COLUMN erasure_requested_at, DROP COLUMN restricted_at, DROP COLUMN objected_at`);
  }
}
