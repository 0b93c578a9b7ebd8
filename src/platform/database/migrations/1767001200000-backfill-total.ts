import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How many records a backfill expects to read, as the vendor counted them when the run began (HubSpot's search
 * total), so the console can show its progress as a share; null where the vendor offers no cheap count.
 */
export class BackfillTotal1767001200000 implements MigrationInterface {
  name = 'BackfillTotal1767001200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE backfill_run ADD COLUMN contacts_total integer NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE backfill_run DROP COLUMN contacts_total`);
  }
}
