import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox table becomes the processing queue (no pg-boss job per webhook): each delivery has a lane
 * (0: may change consent, 1: plain delivery statuses), and a failed one waits until `next_attempt_at`.
 * Workers claim pending rows by lane, then arrival, through `ix_inbox_claim`. The purge index only holds
 * processed rows with a body, so the intake insert no longer maintains it (the processing update does).
 * Rows pending before this migration get lane 0 and are processed like any other.
 */
export class InboxQueue1767002100000 implements MigrationInterface {
  name = 'InboxQueue1767002100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inbox ADD COLUMN lane smallint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE inbox ADD COLUMN next_attempt_at timestamptz`);
    await q.query(`ALTER TABLE inbox ADD CONSTRAINT ck_inbox_lane CHECK (lane IN (0, 1))`);
    await q.query(`DROP INDEX ix_inbox_pending`);
    await q.query(`CREATE INDEX ix_inbox_claim ON inbox (lane, received_at) WHERE status <> 'processed'`);
    await q.query(`DROP INDEX ix_inbox_purge`);
    await q.query(
      `CREATE INDEX ix_inbox_purge ON inbox (received_at) WHERE raw_body IS NOT NULL AND status = 'processed'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_inbox_purge`);
    await q.query(`CREATE INDEX ix_inbox_purge ON inbox (received_at) WHERE raw_body IS NOT NULL`);
    await q.query(`DROP INDEX ix_inbox_claim`);
    await q.query(`CREATE INDEX ix_inbox_pending ON inbox (received_at) WHERE status <> 'processed'`);
    await q.query(`ALTER TABLE inbox DROP CONSTRAINT ck_inbox_lane`);
    await q.query(`ALTER TABLE inbox DROP COLUMN next_attempt_at`);
    await q.query(`ALTER TABLE inbox DROP COLUMN lane`);
  }
}
