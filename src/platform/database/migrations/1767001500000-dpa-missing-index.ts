import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry's attention report and vendor list count each connection's deliveries sent without a DPA; the
 * flag sits in an array no other index reaches (measured by test/bench/console-pages.js at 1,000,000
 * deliveries: 0.6-2 s without it, 30-40 ms with it). Owned by propagation (DeliveryEntity). The console's
 * other read indexes are migration 1767001300000's.
 */
export class DpaMissingIndex1767001500000 implements MigrationInterface {
  name = 'DpaMissingIndex1767001500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_delivery_flagged_dpa_missing ON delivery (connection_id) WHERE 'dpa_missing' = ANY (flags)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_delivery_flagged_dpa_missing`);
  }
}
