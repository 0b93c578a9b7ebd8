import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data-subject request deliveries (issue 9): which request a delivery serves, its sealed payload (rectified
 * values, the data a vendor returned for an access request), the non-personal evidence of what the processor
 * did, and the wait for a processor's signed confirmation (awaiting_confirmation until confirmation_due_at).
 * Open deliveries of different requests no longer coalesce; consent updates (no request) still do.
 */
export class RequestDeliveries1766000001000 implements MigrationInterface {
  name = 'RequestDeliveries1766000001000';

  async up(q: QueryRunner): Promise<void> {
    // request_id has no foreign key: the requests module sits above propagation and owns its table.
    await q.query(`
      ALTER TABLE delivery
        ADD COLUMN request_id uuid NULL,
        ADD COLUMN payload_ciphertext bytea NULL,
        ADD COLUMN payload_key_id text NULL,
        ADD COLUMN evidence jsonb NOT NULL DEFAULT '{}'::jsonb,
        ADD COLUMN confirmation_due_at timestamptz NULL`);
    await q.query(`ALTER TABLE delivery DROP CONSTRAINT ck_delivery_status`);
    await q.query(`
      ALTER TABLE delivery ADD CONSTRAINT ck_delivery_status
        CHECK (status IN ('pending','in_progress','succeeded','retrying','dead','skipped','awaiting_confirmation'))`);
    await q.query(`
      ALTER TABLE delivery ADD CONSTRAINT ck_delivery_payload_sealed
        CHECK ((payload_ciphertext IS NULL) = (payload_key_id IS NULL))`);
    await q.query(`
      ALTER TABLE delivery ADD CONSTRAINT ck_delivery_confirmation_due
        CHECK (status <> 'awaiting_confirmation' OR confirmation_due_at IS NOT NULL)`);

    // Consent updates coalesce per person, connection and operation (the worker pushes current state); each
    // request keeps its own open delivery, so its proof is its own.
    await q.query(`DROP INDEX uq_delivery_open`);
    await q.query(`
      CREATE UNIQUE INDEX uq_delivery_open ON delivery (connection_id, subject_id, operation)
      WHERE status IN ('pending','retrying') AND request_id IS NULL`);
    await q.query(`
      CREATE UNIQUE INDEX uq_delivery_open_request ON delivery (connection_id, subject_id, operation, request_id)
      WHERE status IN ('pending','retrying') AND request_id IS NOT NULL`);
    await q.query(
      `CREATE INDEX ix_delivery_request ON delivery (request_id, created_at) WHERE request_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX ix_delivery_trigger_event ON delivery (trigger_event_id) WHERE trigger_event_id IS NOT NULL`,
    );
    await q.query(`
      CREATE INDEX ix_delivery_awaiting ON delivery (confirmation_due_at)
      WHERE status = 'awaiting_confirmation'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_delivery_awaiting`);
    await q.query(`DROP INDEX ix_delivery_trigger_event`);
    await q.query(`DROP INDEX ix_delivery_request`);
    await q.query(`DROP INDEX uq_delivery_open_request`);
    await q.query(`DROP INDEX uq_delivery_open`);
    await q.query(`DELETE FROM delivery WHERE request_id IS NOT NULL`);
    await q.query(
      `CREATE UNIQUE INDEX uq_delivery_open ON delivery (connection_id, subject_id, operation) WHERE status IN ('pending','retrying')`,
    );
    await q.query(`ALTER TABLE delivery DROP CONSTRAINT ck_delivery_confirmation_due`);
    await q.query(`ALTER TABLE delivery DROP CONSTRAINT ck_delivery_payload_sealed`);
    await q.query(`ALTER TABLE delivery DROP CONSTRAINT ck_delivery_status`);
    await q.query(`UPDATE delivery SET status = 'succeeded' WHERE status = 'awaiting_confirmation'`);
    await q.query(`
      ALTER TABLE delivery ADD CONSTRAINT ck_delivery_status
        CHECK (status IN ('pending','in_progress','succeeded','retrying','dead','skipped'))`);
    await q.query(`
      ALTER TABLE delivery
        DROP COLUMN confirmation_due_at, DROP COLUMN evidence, DROP COLUMN payload_key_id,
        DROP COLUMN payload_ciphertext, DROP COLUMN request_id`);
  }
}
