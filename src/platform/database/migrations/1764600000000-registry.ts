import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry: vendor facts (Art. 28, 30 and 44-49 questions a DPO asks), sub-processor links, the
 * data-processing agreements (versioned, append-only) with their signed documents, the Art. 30 record of
 * processing activities, and the delivery flags the DPA gate sets.
 */
export class Registry1764600000000 implements MigrationInterface {
  name = 'Registry1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE vendor
        ADD COLUMN legal_name text NULL,
        ADD COLUMN country text NULL CONSTRAINT ck_vendor_country CHECK (country ~ '^[A-Z]{2}$'),
        ADD COLUMN website text NULL,
        ADD COLUMN privacy_contact_email text NULL,
        ADD COLUMN role text NULL
          CONSTRAINT ck_vendor_role CHECK (role IN ('processor','sub_processor','controller','joint_controller')),
        ADD COLUMN services text[] NOT NULL DEFAULT '{}',
        ADD COLUMN data_categories text[] NOT NULL DEFAULT '{}',
        ADD COLUMN data_subject_categories text[] NOT NULL DEFAULT '{}',
        ADD COLUMN purposes text[] NOT NULL DEFAULT '{}',
        ADD COLUMN transfers jsonb NOT NULL DEFAULT '[]'::jsonb
          CONSTRAINT ck_vendor_transfers CHECK (jsonb_typeof(transfers) = 'array'),
        ADD COLUMN risk_tier text NULL CONSTRAINT ck_vendor_risk_tier CHECK (risk_tier IN ('low','medium','high')),
        ADD COLUMN owner text NULL,
        ADD COLUMN next_review_at date NULL,
        ADD COLUMN notes text NULL`);
    await q.query(
      `CREATE INDEX ix_vendor_next_review ON vendor (next_review_at) WHERE next_review_at IS NOT NULL`,
    );
    await q.query(`CREATE INDEX ix_connection_vendor ON connection (vendor_id)`);

    // Vendor to vendor: who a processor engages (Art. 28(2), (4)); a vendor cannot be its own sub-processor.
    await q.query(`
      CREATE TABLE vendor_sub_processor (
        vendor_id uuid NOT NULL CONSTRAINT fk_vendor_sub_processor_vendor REFERENCES vendor(id) ON DELETE CASCADE,
        sub_processor_id uuid NOT NULL
          CONSTRAINT fk_vendor_sub_processor_sub REFERENCES vendor(id) ON DELETE RESTRICT,
        notified_at timestamptz NULL,
        objection_deadline date NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_vendor_sub_processor PRIMARY KEY (vendor_id, sub_processor_id),
        CONSTRAINT ck_vendor_sub_processor_not_self CHECK (vendor_id <> sub_processor_id)
      )`);
    await q.query(`CREATE INDEX ix_vendor_sub_processor_sub ON vendor_sub_processor (sub_processor_id)`);

    // One row per version of a vendor's agreement. Versions are only ever added; a row's facts are fixed
    // once written (the trigger below), only its status moves on (terminated, expired) and its review date.
    await q.query(`
      CREATE TABLE dpa (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        vendor_id uuid NOT NULL CONSTRAINT fk_dpa_vendor REFERENCES vendor(id) ON DELETE RESTRICT,
        version integer NOT NULL CONSTRAINT ck_dpa_version CHECK (version >= 1),
        status text NOT NULL CONSTRAINT ck_dpa_status
          CHECK (status IN ('draft','in_negotiation','signed','expired','terminated','not_required')),
        signed_at date NULL,
        effective_from date NULL,
        expires_at date NULL,
        review_due_at date NULL,
        terminated_at timestamptz NULL,
        status_changed_at timestamptz NULL,
        status_reason text NULL,
        clauses jsonb NOT NULL DEFAULT '{}'::jsonb CONSTRAINT ck_dpa_clauses CHECK (jsonb_typeof(clauses) = 'object'),
        subprocessor_authorization text NULL CONSTRAINT ck_dpa_subprocessor_authorization
          CHECK (subprocessor_authorization IN ('specific','general_with_notice')),
        subprocessor_notice_days integer NULL CONSTRAINT ck_dpa_notice_days CHECK (subprocessor_notice_days >= 0),
        breach_notification_hours integer NULL CONSTRAINT ck_dpa_breach_hours CHECK (breach_notification_hours > 0),
        dsr_assistance_days integer NULL CONSTRAINT ck_dpa_dsr_days CHECK (dsr_assistance_days > 0),
        counterparty_signatory text NULL,
        notes text NULL,
        document_sha256 text NULL CONSTRAINT ck_dpa_document_sha256 CHECK (document_sha256 ~ '^[0-9a-f]{64}$'),
        document_name text NULL,
        document_type text NULL CONSTRAINT ck_dpa_document_type CHECK (document_type IN
          ('application/pdf','application/vnd.openxmlformats-officedocument.wordprocessingml.document')),
        document_size integer NULL CONSTRAINT ck_dpa_document_size CHECK (document_size > 0),
        document_uploaded_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_dpa_vendor_version UNIQUE (vendor_id, version),
        CONSTRAINT ck_dpa_signed_has_date CHECK (status <> 'signed' OR signed_at IS NOT NULL),
        CONSTRAINT ck_dpa_expiry_after_start CHECK (expires_at IS NULL OR effective_from IS NULL OR expires_at > effective_from),
        CONSTRAINT ck_dpa_general_notice CHECK (subprocessor_authorization IS DISTINCT FROM 'general_with_notice'
          OR subprocessor_notice_days IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX ix_dpa_expires ON dpa (expires_at) WHERE status = 'signed'`);

    await q.query(`
      CREATE TABLE dpa_document (
        dpa_id uuid PRIMARY KEY CONSTRAINT fk_dpa_document_dpa REFERENCES dpa(id) ON DELETE RESTRICT,
        content bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    // History stays: no DPA version or its document is deleted, and the facts of a version never change.
    await q.query(`
      CREATE FUNCTION dpa_keep_history() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'DPA history is append-only: % rows are never deleted', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_TABLE_NAME = 'dpa_document' THEN
          RAISE EXCEPTION 'a DPA document is never replaced; add a new DPA version' USING ERRCODE = 'restrict_violation';
        END IF;
        IF NEW.vendor_id <> OLD.vendor_id OR NEW.version <> OLD.version OR NEW.clauses <> OLD.clauses
           OR NEW.signed_at IS DISTINCT FROM OLD.signed_at
           OR NEW.effective_from IS DISTINCT FROM OLD.effective_from
           OR NEW.expires_at IS DISTINCT FROM OLD.expires_at
           OR NEW.created_at <> OLD.created_at
           OR (OLD.document_sha256 IS NOT NULL AND NEW.document_sha256 IS DISTINCT FROM OLD.document_sha256) THEN
          RAISE EXCEPTION 'the facts of a DPA version are fixed; add a new version' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER tr_dpa_keep_history BEFORE UPDATE OR DELETE ON dpa FOR EACH ROW EXECUTE FUNCTION dpa_keep_history()`,
    );
    await q.query(
      `CREATE TRIGGER tr_dpa_document_keep_history BEFORE UPDATE OR DELETE ON dpa_document FOR EACH ROW EXECUTE FUNCTION dpa_keep_history()`,
    );

    // The Art. 30(1) record.
    await q.query(`
      CREATE TABLE processing_activity (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        purpose text NOT NULL,
        legal_basis text NOT NULL CONSTRAINT ck_processing_activity_legal_basis CHECK (legal_basis IN
          ('consent','contract','legal_obligation','vital_interests','public_task','legitimate_interests')),
        legitimate_interest text NULL,
        data_categories text[] NOT NULL DEFAULT '{}',
        data_subjects text[] NOT NULL DEFAULT '{}',
        transfers jsonb NOT NULL DEFAULT '[]'::jsonb
          CONSTRAINT ck_processing_activity_transfers CHECK (jsonb_typeof(transfers) = 'array'),
        retention text NULL,
        security_measures text NULL,
        dpia_required boolean NOT NULL DEFAULT false,
        dpia_reference text NULL,
        controller_contact text NULL,
        status text NOT NULL DEFAULT 'draft' CONSTRAINT ck_processing_activity_status
          CHECK (status IN ('draft','in_review','approved','deprecated')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_processing_activity_name UNIQUE (name),
        CONSTRAINT ck_processing_activity_interest CHECK (legal_basis <> 'legitimate_interests' OR legitimate_interest IS NOT NULL)
      )`);
    await q.query(`
      CREATE TABLE processing_activity_recipient (
        processing_activity_id uuid NOT NULL CONSTRAINT fk_pa_recipient_activity
          REFERENCES processing_activity(id) ON DELETE CASCADE,
        vendor_id uuid NOT NULL CONSTRAINT fk_pa_recipient_vendor REFERENCES vendor(id) ON DELETE RESTRICT,
        CONSTRAINT pk_processing_activity_recipient PRIMARY KEY (processing_activity_id, vendor_id)
      )`);
    await q.query(
      `CREATE INDEX ix_processing_activity_recipient_vendor ON processing_activity_recipient (vendor_id)`,
    );

    // What the DPA gate marks on a delivery that went out anyway (a withdrawal to a vendor without a DPA).
    await q.query(`ALTER TABLE delivery ADD COLUMN flags text[] NOT NULL DEFAULT '{}'`);
    await q.query(
      `CREATE INDEX ix_delivery_held ON delivery (connection_id, subject_id, operation) WHERE status = 'skipped' AND reason = 'dpa_missing'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_delivery_held`);
    await q.query(`ALTER TABLE delivery DROP COLUMN flags`);
    await q.query(`DROP TABLE processing_activity_recipient`);
    await q.query(`DROP TABLE processing_activity`);
    await q.query(`DROP TABLE dpa_document`);
    await q.query(`DROP TABLE dpa`);
    await q.query(`DROP FUNCTION dpa_keep_history()`);
    await q.query(`DROP TABLE vendor_sub_processor`);
    await q.query(`DROP INDEX ix_connection_vendor`);
    await q.query(`DROP INDEX ix_vendor_next_review`);
    await q.query(`
      ALTER TABLE vendor
        DROP COLUMN legal_name, DROP COLUMN country, DROP COLUMN website, DROP COLUMN privacy_contact_email,
        DROP COLUMN role, DROP COLUMN services, DROP COLUMN data_categories, DROP COLUMN data_subject_categories,
        DROP COLUMN purposes, DROP COLUMN transfers, DROP COLUMN risk_tier, DROP COLUMN owner,
        DROP COLUMN next_review_at, DROP COLUMN notes`);
  }
}
