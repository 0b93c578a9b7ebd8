import type { MigrationInterface, QueryRunner } from 'typeorm';

const OPEN = `'received','identity_verification','in_progress','waiting_on_processors'`;

/**
 * Data-subject requests (GDPR Art. 15-21): the request with its deadline facts (data_subject_request), its
 * append-only history (request_event), the pauses of its clock (request_pause) and the manual tasks for
 * processors no API reaches (request_task). What the request was made with (a phone or an email) is sealed and
 * blind-indexed, like every identifier, and cleared when the person is forgotten; free texts that may name the
 * person (a verification note, a task's evidence) are sealed too.
 */
export class DataSubjectRequests1766000002000 implements MigrationInterface {
  name = 'DataSubjectRequests1766000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE data_subject_request (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type text NOT NULL CONSTRAINT ck_data_subject_request_type
          CHECK (type IN ('access','erasure','rectification','restriction','objection')),
        status text NOT NULL CONSTRAINT ck_data_subject_request_status
          CHECK (status IN (${OPEN},'completed','denied','cancelled')),
        status_reason text NULL,
        origin text NOT NULL CONSTRAINT ck_data_subject_request_origin
          CHECK (origin IN ('api','console','whatsapp','hubspot_privacy_deletion','salesforce_should_forget','retention')),
        source text NULL,
        dedupe_key_hash bytea NULL,
        subject_id uuid NULL CONSTRAINT fk_data_subject_request_subject REFERENCES subject(id) ON DELETE RESTRICT,
        duplicate_of uuid NULL CONSTRAINT fk_data_subject_request_duplicate_of
          REFERENCES data_subject_request(id) ON DELETE RESTRICT,
        origin_connection_id uuid NULL CONSTRAINT fk_data_subject_request_origin_connection
          REFERENCES connection(id) ON DELETE SET NULL,
        origin_evidence jsonb NOT NULL DEFAULT '{}'::jsonb,
        identifier_kind text NULL CONSTRAINT ck_data_subject_request_identifier_kind
          CHECK (identifier_kind IN ('phone','email','wa_id','subject_id')),
        identifier_hash bytea NULL,
        identifier_ciphertext bytea NULL,
        identifier_key_id text NULL,
        received_at timestamptz NOT NULL,
        original_due_at timestamptz NOT NULL,
        due_at timestamptz NOT NULL,
        paused_since timestamptz NULL,
        extension_months integer NOT NULL DEFAULT 0 CONSTRAINT ck_data_subject_request_extension_months
          CHECK (extension_months BETWEEN 0 AND 2),
        extension_reason text NULL,
        extension_subject_notified_at timestamptz NULL,
        extended_at timestamptz NULL,
        verification_method text NULL,
        verification_note_ciphertext bytea NULL,
        verification_note_key_id text NULL,
        verified_by text NULL,
        verified_at timestamptz NULL,
        lift boolean NOT NULL DEFAULT false,
        changes_ciphertext bytea NULL,
        changes_key_id text NULL,
        changes_fields text[] NOT NULL DEFAULT '{}',
        event_ids uuid[] NOT NULL DEFAULT '{}',
        denial_reason text NULL,
        cancel_reason text NULL,
        completed_at timestamptz NULL,
        closed_at timestamptz NULL,
        payloads_cleared_at timestamptz NULL,
        due_soon_announced_at timestamptz NULL,
        overdue_announced_at timestamptz NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_data_subject_request_dedupe_key UNIQUE (dedupe_key_hash)
      )`);
    await q.query(`CREATE INDEX ix_data_subject_request_received ON data_subject_request (received_at, id)`);
    await q.query(
      `CREATE INDEX ix_data_subject_request_subject ON data_subject_request (subject_id) WHERE subject_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX ix_data_subject_request_identifier ON data_subject_request (identifier_hash) WHERE identifier_hash IS NOT NULL`,
    );
    // The sweeps and the overdue / due-soon filters read open requests by deadline only.
    await q.query(
      `CREATE INDEX ix_data_subject_request_open_due ON data_subject_request (due_at) WHERE status IN (${OPEN})`,
    );
    // One open erasure per person: a second one is absorbed by it (recorded as a duplicate).
    await q.query(`
      CREATE UNIQUE INDEX uq_data_subject_request_open_erasure ON data_subject_request (subject_id)
        WHERE type = 'erasure' AND status IN (${OPEN})`);

    await q.query(`
      CREATE TABLE request_event (
        seq bigserial PRIMARY KEY,
        request_id uuid NOT NULL CONSTRAINT fk_request_event_request
          REFERENCES data_subject_request(id) ON DELETE RESTRICT,
        at timestamptz NOT NULL DEFAULT now(),
        action text NOT NULL,
        actor text NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX ix_request_event_request ON request_event (request_id, seq)`);
    // The history is proof (accountability): append-only in the database itself, as the audit log is.
    await q.query(`
      CREATE FUNCTION request_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'request_event is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_request_event_append_only BEFORE UPDATE OR DELETE ON request_event
      FOR EACH ROW EXECUTE FUNCTION request_event_append_only()`);
    await q.query(`
      CREATE TRIGGER trg_request_event_no_truncate BEFORE TRUNCATE ON request_event
      FOR EACH STATEMENT EXECUTE FUNCTION request_event_append_only()`);

    await q.query(`
      CREATE TABLE request_pause (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        request_id uuid NOT NULL CONSTRAINT fk_request_pause_request
          REFERENCES data_subject_request(id) ON DELETE RESTRICT,
        paused_at timestamptz NOT NULL,
        resumed_at timestamptz NULL,
        reason text NOT NULL,
        paused_by text NOT NULL,
        resumed_by text NULL,
        CONSTRAINT ck_request_pause_order CHECK (resumed_at IS NULL OR resumed_at >= paused_at)
      )`);
    await q.query(`CREATE INDEX ix_request_pause_request ON request_pause (request_id, paused_at)`);
    await q.query(
      `CREATE UNIQUE INDEX uq_request_pause_open ON request_pause (request_id) WHERE resumed_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE request_task (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        request_id uuid NOT NULL CONSTRAINT fk_request_task_request
          REFERENCES data_subject_request(id) ON DELETE RESTRICT,
        operation text NOT NULL CONSTRAINT ck_request_task_operation
          CHECK (operation IN ('erasure','restriction','rectification','access_export')),
        reason text NOT NULL CONSTRAINT ck_request_task_reason CHECK (reason IN ('no_api_connection','delivery_dead')),
        vendor_id uuid NULL CONSTRAINT fk_request_task_vendor REFERENCES vendor(id) ON DELETE SET NULL,
        connection_id uuid NULL CONSTRAINT fk_request_task_connection REFERENCES connection(id) ON DELETE SET NULL,
        delivery_id uuid NULL,
        processor_name text NOT NULL,
        status text NOT NULL DEFAULT 'open' CONSTRAINT ck_request_task_status CHECK (status IN ('open','done')),
        evidence_ciphertext bytea NULL,
        evidence_key_id text NULL,
        evidence_sha256 text NULL,
        reference text NULL,
        completed_by text NULL,
        completed_at timestamptz NULL,
        reminders_sent integer NOT NULL DEFAULT 0,
        next_reminder_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_request_task_done CHECK (status = 'open' OR completed_at IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX ix_request_task_request ON request_task (request_id)`);
    await q.query(
      `CREATE INDEX ix_request_task_reminder ON request_task (next_reminder_at) WHERE status = 'open'`,
    );
    // A dead delivery becomes one task, however often its settlement is heard.
    await q.query(
      `CREATE UNIQUE INDEX uq_request_task_delivery ON request_task (delivery_id) WHERE delivery_id IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX uq_request_task_vendor ON request_task (request_id, vendor_id) WHERE reason = 'no_api_connection'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE request_task`);
    await q.query(`DROP TABLE request_pause`);
    await q.query(`DROP TABLE request_event`);
    await q.query(`DROP FUNCTION request_event_append_only()`);
    await q.query(`DROP TABLE data_subject_request`);
  }
}
