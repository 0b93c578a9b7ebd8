import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log without one global lock, keyed, and verified from a checkpoint.
 *
 * - Writers only insert (no hash, no lock); a single chainer later gives each entry its place in the chain
 *   (`chain_seq`, in the order it meets them) and its keyed hash. The append-only trigger lets exactly that
 *   one change through: an unchained entry getting its place and hashes, its content untouched.
 * - The entries already there keep their unkeyed SHA-256 chain (their places follow their seq: they were
 *   chained under the old lock). `audit_chain_state` records where that legacy prefix ends; the keyed chain
 *   continues from its last hash. The key is not in the database, so the gateway seals this boundary (a MAC in
 *   the same row) the first time it runs.
 * - `audit_chain_state` also holds the verified checkpoint: verification reads only what follows it.
 */
export class AuditKeyedChain1767000500000 implements MigrationInterface {
  name = 'AuditKeyedChain1767000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_audit_event_append_only ON audit_event`);
    await q.query(`ALTER TABLE audit_event ADD COLUMN chain_seq bigint NULL`);
    await q.query(
      `ALTER TABLE audit_event ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL`,
    );
    await q.query(`
      UPDATE audit_event e SET chain_seq = r.n
      FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM audit_event) r
      WHERE e.seq = r.seq`);
    await q.query(`CREATE UNIQUE INDEX uq_audit_event_chain_seq ON audit_event (chain_seq)`);
    // What the chainer looks for: entries not yet chained, oldest first.
    await q.query(`CREATE INDEX ix_audit_event_unchained ON audit_event (seq) WHERE chain_seq IS NULL`);
    await q.query(`
      ALTER TABLE audit_event ADD CONSTRAINT ck_audit_event_chained
      CHECK ((chain_seq IS NULL AND prev_hash IS NULL AND hash IS NULL)
          OR (chain_seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL))`);

    await q.query(`
      CREATE FUNCTION audit_event_chain_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          IF OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
             AND (NEW.seq, NEW.id, NEW.at, NEW.actor_type, NEW.actor_id, NEW.actor_name, NEW.action,
                  NEW.target_type, NEW.target_id, NEW.ip, NEW.outcome, NEW.details)
                 IS NOT DISTINCT FROM
                 (OLD.seq, OLD.id, OLD.at, OLD.actor_type, OLD.actor_id, OLD.actor_name, OLD.action,
                  OLD.target_type, OLD.target_id, OLD.ip, OLD.outcome, OLD.details) THEN
            RETURN NEW;
          END IF;
        END IF;
        RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
      FOR EACH ROW EXECUTE FUNCTION audit_event_chain_only()`);

    await q.query(`
      CREATE TABLE audit_chain_state (
        id smallint PRIMARY KEY DEFAULT 1 CONSTRAINT ck_audit_chain_state_single CHECK (id = 1),
        legacy_through bigint NOT NULL,
        legacy_head text NOT NULL,
        verified_through bigint NOT NULL DEFAULT 0,
        verified_hash text NOT NULL,
        verified_at timestamptz NULL,
        full_verified_at timestamptz NULL,
        mac text NULL
      )`);
    await q.query(`
      INSERT INTO audit_chain_state (id, legacy_through, legacy_head, verified_through, verified_hash)
      SELECT 1, coalesce(max(chain_seq), 0),
             coalesce((SELECT hash FROM audit_event ORDER BY chain_seq DESC LIMIT 1), repeat('0', 64)),
             0, repeat('0', 64)
      FROM audit_event`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_chain_state`);
    await q.query(`DROP TRIGGER trg_audit_event_append_only ON audit_event`);
    await q.query(`DROP FUNCTION audit_event_chain_only()`);
    await q.query(`ALTER TABLE audit_event DROP CONSTRAINT ck_audit_event_chained`);
    await q.query(`DROP INDEX ix_audit_event_unchained`);
    await q.query(`DROP INDEX uq_audit_event_chain_seq`);
    await q.query(`ALTER TABLE audit_event DROP COLUMN chain_seq`);
    await q.query(`
      CREATE TRIGGER trg_audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
      FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()`);
  }
}
