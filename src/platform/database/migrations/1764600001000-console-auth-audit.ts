import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Console users and their sessions, and the hash-chained audit log. */
export class ConsoleAuthAudit1764600001000 implements MigrationInterface {
  name = 'ConsoleAuthAudit1764600001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE console_user (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        name text NOT NULL,
        role text NOT NULL CONSTRAINT ck_console_user_role CHECK (role IN ('admin','crm_admin','dpo','viewer')),
        password_hash text NOT NULL,
        failed_attempts integer NOT NULL DEFAULT 0,
        locked_until timestamptz NULL,
        last_login_at timestamptz NULL,
        disabled_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_console_user_email ON console_user (lower(email))`);

    // The session cookie holds a random token; only its SHA-256 is stored.
    await q.query(`
      CREATE TABLE console_session (
        token_hash bytea PRIMARY KEY,
        user_id uuid NOT NULL CONSTRAINT fk_console_session_user REFERENCES console_user(id) ON DELETE CASCADE,
        csrf_token text NOT NULL,
        ip text NULL,
        user_agent text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX ix_console_session_user ON console_session (user_id)`);

    // Each row's hash covers its content and the previous row's hash: removing, reordering or editing a
    // row breaks the chain from there on. The table is append-only in the database itself.
    await q.query(`
      CREATE TABLE audit_event (
        seq bigserial PRIMARY KEY,
        id uuid NOT NULL DEFAULT gen_random_uuid() CONSTRAINT uq_audit_event_id UNIQUE,
        at timestamptz NOT NULL,
        actor_type text NOT NULL CONSTRAINT ck_audit_actor CHECK (actor_type IN ('api_key','user','system','anonymous')),
        actor_id text NULL,
        actor_name text NULL,
        action text NOT NULL,
        target_type text NULL,
        target_id text NULL,
        ip text NULL,
        outcome text NOT NULL DEFAULT 'success',
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        prev_hash text NOT NULL,
        hash text NOT NULL
      )`);
    await q.query(`CREATE INDEX ix_audit_event_at ON audit_event (at)`);
    await q.query(`CREATE INDEX ix_audit_event_target ON audit_event (target_type, target_id)`);
    await q.query(`
      CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
      FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()`);
    await q.query(`
      CREATE TRIGGER trg_audit_event_no_truncate BEFORE TRUNCATE ON audit_event
      FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_event`);
    await q.query(`DROP FUNCTION audit_event_append_only()`);
    await q.query(`DROP TABLE console_session`);
    await q.query(`DROP TABLE console_user`);
  }
}
