import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The foundation schema: subjects and their encrypted identities, the append-only consent ledger and its
 * state projection, the webhook inbox, and API keys.
 */
export class InitialLedger1764400000000 implements MigrationInterface {
  name = 'InitialLedger1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);

    await q.query(`
      CREATE TABLE subject (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now(),
        erased_at timestamptz NULL
      )`);

    await q.query(`
      CREATE TABLE subject_identity (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subject_id uuid NOT NULL CONSTRAINT fk_subject_identity_subject REFERENCES subject(id) ON DELETE CASCADE,
        kind text NOT NULL CONSTRAINT ck_subject_identity_kind
          CHECK (kind IN ('phone','wa_id','wa_user_id','wa_parent_user_id','email','hubspot_id','salesforce_id')),
        value_hash bytea NOT NULL,
        value_ciphertext bytea NULL,
        key_id text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_subject_identity_kind_hash UNIQUE (kind, value_hash)
      )`);
    await q.query(`CREATE INDEX ix_subject_identity_subject ON subject_identity (subject_id)`);

    await q.query(`
      CREATE TABLE inbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider text NOT NULL,
        delivery_id text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        raw_body bytea NULL,
        key_id text NULL,
        signature text NULL,
        status text NOT NULL DEFAULT 'pending' CONSTRAINT ck_inbox_status CHECK (status IN ('pending','processed','failed')),
        attempts integer NOT NULL DEFAULT 0,
        processed_at timestamptz NULL,
        last_error text NULL,
        summary jsonb NULL,
        purged_at timestamptz NULL,
        CONSTRAINT uq_inbox_provider_delivery UNIQUE (provider, delivery_id)
      )`);
    await q.query(`CREATE INDEX ix_inbox_pending ON inbox (received_at) WHERE status <> 'processed'`);
    await q.query(`CREATE INDEX ix_inbox_purge ON inbox (received_at) WHERE raw_body IS NOT NULL`);

    await q.query(`
      CREATE TABLE consent_event (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subject_id uuid NOT NULL CONSTRAINT fk_consent_event_subject REFERENCES subject(id) ON DELETE RESTRICT,
        purpose text NOT NULL,
        channel text NOT NULL,
        scope text NOT NULL,
        status text NOT NULL CONSTRAINT ck_consent_event_status CHECK (status IN ('granted','withdrawn')),
        effect text NOT NULL CONSTRAINT ck_consent_event_effect CHECK (effect IN ('changed','confirmed','stale')),
        source text NOT NULL,
        source_event_id text NOT NULL,
        method text NOT NULL,
        actor text NOT NULL,
        captured_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        legal_basis text NULL,
        notice_version text NULL,
        policy_url text NULL,
        language text NULL,
        payload_digest text NULL,
        inbox_id uuid NULL CONSTRAINT fk_consent_event_inbox REFERENCES inbox(id) ON DELETE SET NULL,
        evidence jsonb NOT NULL DEFAULT '{}'::jsonb,
        sealed_evidence bytea NULL,
        key_id text NULL,
        CONSTRAINT uq_consent_event_source UNIQUE (source, source_event_id)
      )`);
    await q.query(`CREATE INDEX ix_consent_event_subject ON consent_event (subject_id, captured_at)`);

    // The ledger is append-only in the database itself: only the erasure routine, which sets
    // consent_gateway.erasure for its own transaction, may rewrite an event (to strip personal evidence).
    await q.query(`
      CREATE FUNCTION consent_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF coalesce(current_setting('consent_gateway.erasure', true), '') = 'on' THEN
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'consent_event is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_consent_event_append_only BEFORE UPDATE OR DELETE ON consent_event
      FOR EACH ROW EXECUTE FUNCTION consent_event_append_only()`);
    await q.query(`
      CREATE TRIGGER trg_consent_event_no_truncate BEFORE TRUNCATE ON consent_event
      FOR EACH STATEMENT EXECUTE FUNCTION consent_event_append_only()`);

    await q.query(`
      CREATE TABLE consent_state (
        subject_id uuid NOT NULL CONSTRAINT fk_consent_state_subject REFERENCES subject(id) ON DELETE CASCADE,
        purpose text NOT NULL,
        channel text NOT NULL,
        scope text NOT NULL,
        status text NOT NULL CONSTRAINT ck_consent_state_status CHECK (status IN ('granted','withdrawn')),
        captured_at timestamptz NOT NULL,
        source text NOT NULL,
        event_id uuid NOT NULL CONSTRAINT fk_consent_state_event REFERENCES consent_event(id) ON DELETE RESTRICT,
        version integer NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_consent_state PRIMARY KEY (subject_id, purpose, channel, scope)
      )`);

    await q.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        prefix text NOT NULL,
        key_hash bytea NOT NULL CONSTRAINT uq_api_key_hash UNIQUE,
        scopes text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text NULL,
        last_used_at timestamptz NULL,
        revoked_at timestamptz NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_key`);
    await q.query(`DROP TABLE consent_state`);
    await q.query(`DROP TRIGGER trg_consent_event_no_truncate ON consent_event`);
    await q.query(`DROP TRIGGER trg_consent_event_append_only ON consent_event`);
    await q.query(`DROP TABLE consent_event`);
    await q.query(`DROP FUNCTION consent_event_append_only()`);
    await q.query(`DROP TABLE inbox`);
    await q.query(`DROP TABLE subject_identity`);
    await q.query(`DROP TABLE subject`);
  }
}
