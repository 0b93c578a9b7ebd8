import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * keys:rotate re-seals the ledger's sealed evidence under the current key: the append-only trigger lets a
 * transaction that sets consent_gateway.rekey change sealed_evidence and key_id, and nothing else of the event.
 */
export class RekeyConsentEvidence1767000600000 implements MigrationInterface {
  name = 'RekeyConsentEvidence1767000600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION consent_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF coalesce(current_setting('consent_gateway.erasure', true), '') = 'on' THEN
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END IF;
        IF TG_OP = 'UPDATE' AND coalesce(current_setting('consent_gateway.rekey', true), '') = 'on'
           AND to_jsonb(NEW) - 'sealed_evidence' - 'key_id' = to_jsonb(OLD) - 'sealed_evidence' - 'key_id' THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'consent_event is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION consent_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF coalesce(current_setting('consent_gateway.erasure', true), '') = 'on' THEN
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'consent_event is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
  }
}
