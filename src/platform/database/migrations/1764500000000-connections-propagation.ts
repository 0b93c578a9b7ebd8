import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Vendors (a first, minimal registry row), their connected accounts, the per-connection record of who is
 * held where, the delivery record that proves propagation, and backfill runs.
 */
export class ConnectionsPropagation1764500000000 implements MigrationInterface {
  name = 'ConnectionsPropagation1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE vendor (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_vendor_name UNIQUE (name)
      )`);

    await q.query(`
      CREATE TABLE connection (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        vendor_id uuid NOT NULL CONSTRAINT fk_connection_vendor REFERENCES vendor(id) ON DELETE RESTRICT,
        type text NOT NULL CONSTRAINT ck_connection_type CHECK (type IN ('hubspot','salesforce','webhook')),
        name text NOT NULL,
        status text NOT NULL DEFAULT 'active'
          CONSTRAINT ck_connection_status CHECK (status IN ('active','paused','auth_failed','disconnected')),
        base_url text NULL,
        login_url text NULL,
        credentials bytea NOT NULL,
        key_id text NOT NULL,
        token_expires_at timestamptz NULL,
        external_account_id text NULL,
        mapping jsonb NOT NULL DEFAULT '{}'::jsonb,
        erasure_mode text NOT NULL DEFAULT 'vendor_gdpr_delete'
          CONSTRAINT ck_connection_erasure_mode CHECK (erasure_mode IN ('vendor_gdpr_delete','hard_delete','mask_fields')),
        rate_limit jsonb NOT NULL DEFAULT '{}'::jsonb,
        last_error text NULL,
        last_test_at timestamptz NULL,
        last_test_result jsonb NULL,
        refresh_history timestamptz[] NOT NULL DEFAULT '{}',
        sync_cursor jsonb NOT NULL DEFAULT '{}'::jsonb,
        drain_owner text NULL,
        drain_lease_until timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        disconnected_at timestamptz NULL
      )`);
    await q.query(`CREATE INDEX ix_connection_account ON connection (type, external_account_id)`);

    // Which record stands for a person at a connection; the remote id is an identifier, so it is
    // encrypted and looked up by blind index like every other.
    await q.query(`
      CREATE TABLE connection_record (
        connection_id uuid NOT NULL CONSTRAINT fk_connection_record_connection REFERENCES connection(id) ON DELETE CASCADE,
        subject_id uuid NOT NULL CONSTRAINT fk_connection_record_subject REFERENCES subject(id) ON DELETE CASCADE,
        remote_id_hash bytea NOT NULL,
        remote_id_ciphertext bytea NOT NULL,
        key_id text NOT NULL,
        last_pushed jsonb NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_connection_record PRIMARY KEY (connection_id, subject_id),
        CONSTRAINT uq_connection_record_remote UNIQUE (connection_id, remote_id_hash)
      )`);

    await q.query(`
      CREATE TABLE delivery (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        connection_id uuid NOT NULL CONSTRAINT fk_delivery_connection REFERENCES connection(id) ON DELETE RESTRICT,
        subject_id uuid NOT NULL CONSTRAINT fk_delivery_subject REFERENCES subject(id) ON DELETE RESTRICT,
        operation text NOT NULL CONSTRAINT ck_delivery_operation
          CHECK (operation IN ('consent_update','erasure','restriction','rectification','access_export')),
        trigger_event_id uuid NULL CONSTRAINT fk_delivery_event REFERENCES consent_event(id) ON DELETE SET NULL,
        status text NOT NULL DEFAULT 'pending' CONSTRAINT ck_delivery_status
          CHECK (status IN ('pending','in_progress','succeeded','retrying','dead','skipped')),
        reason text NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text NULL,
        last_error_class text NULL,
        vendor_reference text NULL,
        coalesced integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz NULL,
        completed_at timestamptz NULL
      )`);
    // One open delivery per person, connection and operation: later changes coalesce into it, since
    // the worker always pushes the person's current state.
    await q.query(`
      CREATE UNIQUE INDEX uq_delivery_open ON delivery (connection_id, subject_id, operation)
      WHERE status IN ('pending','retrying')`);
    await q.query(
      `CREATE INDEX ix_delivery_due ON delivery (connection_id, next_attempt_at) WHERE status IN ('pending','retrying')`,
    );
    await q.query(
      `CREATE INDEX ix_delivery_in_progress ON delivery (connection_id) WHERE status = 'in_progress'`,
    );
    await q.query(`CREATE INDEX ix_delivery_subject ON delivery (subject_id, created_at)`);
    await q.query(
      `CREATE INDEX ix_delivery_connection_status ON delivery (connection_id, status, created_at)`,
    );

    await q.query(`
      CREATE TABLE backfill_run (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        connection_id uuid NOT NULL CONSTRAINT fk_backfill_connection REFERENCES connection(id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'running'
          CONSTRAINT ck_backfill_status CHECK (status IN ('running','completed','failed','cancelled')),
        cursor text NULL,
        pages integer NOT NULL DEFAULT 0,
        contacts_seen integer NOT NULL DEFAULT 0,
        events_recorded integer NOT NULL DEFAULT 0,
        last_error text NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz NULL
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_backfill_running ON backfill_run (connection_id) WHERE status = 'running'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE backfill_run`);
    await q.query(`DROP TABLE delivery`);
    await q.query(`DROP TABLE connection_record`);
    await q.query(`DROP TABLE connection`);
    await q.query(`DROP TABLE vendor`);
  }
}
