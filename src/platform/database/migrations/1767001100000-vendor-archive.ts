import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 11, the vendor registry for daily work (owned by the vendors module):
 * - `vendor.archived_at`: a vendor no longer used is archived, not deleted (its DPA history, deliveries and
 *   audit entries still name it); the registry hides it by default.
 * - `vendor_sub_processor.service`: what the sub-processor does for the processor (Art. 28(2), (4): the
 *   controller is told who is engaged and for what).
 * Existing vendors are left as they are: one a connection created without role or country is shown as
 * incomplete until the DPO fills it in (nothing is guessed for rows already there).
 */
export class VendorArchive1767001100000 implements MigrationInterface {
  name = 'VendorArchive1767001100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor ADD COLUMN archived_at timestamptz`);
    await q.query(`ALTER TABLE vendor_sub_processor ADD COLUMN service text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_sub_processor DROP COLUMN service`);
    await q.query(`ALTER TABLE vendor DROP COLUMN archived_at`);
  }
}
