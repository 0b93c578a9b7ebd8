import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the console's reads at scale (issue 11; measured by test/bench/console-pages.js with 100,000
 * people and 1,000,000 deliveries):
 *   - consent_event by recorded_at: the overview's events per day and withdrawals today (a range of days,
 *     not a scan of every event). Owned by the ledger (ConsentEventEntity).
 *   - delivery by created_at: the deliveries page across all connections, newest first, and its next pages.
 *   - delivery by connection where flagged dpa_missing: the registry's attention report and vendor list count
 *     deliveries sent without a DPA; the flag sits in an array no other index reaches.
 *     Both owned by propagation (DeliveryEntity).
 */
export class ConsoleReadIndexes1767001500000 implements MigrationInterface {
  name = 'ConsoleReadIndexes1767001500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ix_consent_event_recorded_at ON consent_event (recorded_at)`);
    await q.query(`CREATE INDEX ix_delivery_created ON delivery (created_at)`);
    await q.query(
      `CREATE INDEX ix_delivery_flagged_dpa_missing ON delivery (connection_id) WHERE 'dpa_missing' = ANY (flags)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_delivery_flagged_dpa_missing`);
    await q.query(`DROP INDEX ix_delivery_created`);
    await q.query(`DROP INDEX ix_consent_event_recorded_at`);
  }
}
