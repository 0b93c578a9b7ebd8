import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 8: a person may have several records at one connection (duplicates, a Salesforce Contact and Lead), so a
 * record link is keyed by the record, not the person; connections get a phone region for national numbers; and the
 * records the gateway could not match are kept per connection, with a reason (never the value).
 */
export class CrmRecords1765000000000 implements MigrationInterface {
  name = 'CrmRecords1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE connection ADD COLUMN phone_region text NULL
        CONSTRAINT ck_connection_phone_region CHECK (phone_region ~ '^[A-Z]{2}$')`);
    await q.query(`ALTER TABLE connection_record DROP CONSTRAINT pk_connection_record`);
    await q.query(`ALTER TABLE connection_record DROP CONSTRAINT uq_connection_record_remote`);
    await q.query(
      `ALTER TABLE connection_record ADD CONSTRAINT pk_connection_record PRIMARY KEY (connection_id, remote_id_hash)`,
    );
    // Links made before this migration do not say what they link (a HubSpot contact, a Salesforce Individual).
    await q.query(`ALTER TABLE connection_record ADD COLUMN record_type text NOT NULL DEFAULT 'record'`);
    await q.query(`ALTER TABLE connection_record ALTER COLUMN record_type DROP DEFAULT`);
    await q.query(
      `CREATE INDEX ix_connection_record_subject ON connection_record (connection_id, subject_id)`,
    );
    await q.query(`
      CREATE TABLE connection_unmatched (
        connection_id uuid NOT NULL,
        remote_id_hash bytea NOT NULL,
        remote_id_ciphertext bytea NOT NULL,
        key_id text NOT NULL,
        record_type text NOT NULL,
        field text NOT NULL,
        reason text NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_connection_unmatched PRIMARY KEY (connection_id, remote_id_hash, field),
        CONSTRAINT fk_connection_unmatched_connection FOREIGN KEY (connection_id)
          REFERENCES connection (id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE connection_unmatched`);
    await q.query(`DROP INDEX ix_connection_record_subject`);
    await q.query(`ALTER TABLE connection_record DROP COLUMN record_type`);
    // Back to one record per person: keep the most recently updated link of each.
    await q.query(`
      DELETE FROM connection_record r USING connection_record n
       WHERE r.connection_id = n.connection_id AND r.subject_id = n.subject_id
         AND (r.updated_at, r.remote_id_hash) < (n.updated_at, n.remote_id_hash)`);
    await q.query(`ALTER TABLE connection_record DROP CONSTRAINT pk_connection_record`);
    await q.query(
      `ALTER TABLE connection_record ADD CONSTRAINT pk_connection_record PRIMARY KEY (connection_id, subject_id)`,
    );
    await q.query(
      `ALTER TABLE connection_record ADD CONSTRAINT uq_connection_record_remote UNIQUE (connection_id, remote_id_hash)`,
    );
    await q.query(`ALTER TABLE connection DROP COLUMN phone_region`);
  }
}
