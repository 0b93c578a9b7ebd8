import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 11, daily work in the console: API keys with an expiry (auth), the controller's details kept in the
 * database (settings module: one row, the CONTROLLER_* configuration stays the default until it is filled),
 * and an index for the audit log's "not succeeded" filter (audit).
 */
export class ConsoleAdmin1767001400000 implements MigrationInterface {
  name = 'ConsoleAdmin1767001400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_key ADD COLUMN expires_at timestamptz NULL`);
    await q.query(`
      CREATE TABLE controller_settings (
        id smallint NOT NULL DEFAULT 1,
        name text NOT NULL,
        contact text NOT NULL,
        email text NOT NULL,
        address text NOT NULL,
        privacy_policy_url text NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NULL,
        CONSTRAINT controller_settings_pkey PRIMARY KEY (id),
        CONSTRAINT ck_controller_settings_single CHECK (id = 1)
      )`);
    await q.query(`CREATE INDEX ix_audit_event_not_success ON audit_event (seq) WHERE outcome <> 'success'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_audit_event_not_success`);
    await q.query(`DROP TABLE controller_settings`);
    await q.query(`ALTER TABLE api_key DROP COLUMN expires_at`);
  }
}
