import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the console's reads over large tables (issue 11): the deliveries page pages newest first through
 * every delivery (keyset on created_at, id) with optional filters, and the charts count deliveries and consent
 * events per day. Each index serves one reading order so a page reads only its own rows, at a million deliveries:
 * - ix_delivery_created: all deliveries, newest first (created_at, id); and the charts' deliveries per day, read from
 *   the index alone (it also holds connection, status and attempts: a heap read per delivery cost a second for 14
 *   days of a million deliveries);
 * - ix_delivery_connection_created / ix_delivery_status_created: one connection's, or one status's, newest first;
 * - ix_delivery_request_ops: the rare request operations (erasure, restriction ...), newest first;
 * - ix_delivery_flagged: the few flagged deliveries (sent without a DPA, record came back ...), newest first;
 * - ix_consent_event_recorded: consent events per day by source and status (and the overview's events per day),
 *   read from the index alone.
 * Owned by the propagation module (delivery) and the ledger (consent_event).
 */
export class ConsoleReadIndexes1767001300000 implements MigrationInterface {
  name = 'ConsoleReadIndexes1767001300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_delivery_created ON delivery (created_at, id, connection_id, status, attempts)`,
    );
    await q.query(`CREATE INDEX ix_delivery_connection_created ON delivery (connection_id, created_at, id)`);
    await q.query(`CREATE INDEX ix_delivery_status_created ON delivery (status, created_at, id)`);
    await q.query(
      `CREATE INDEX ix_delivery_request_ops ON delivery (operation, created_at, id) WHERE operation <> 'consent_update'`,
    );
    await q.query(`CREATE INDEX ix_delivery_flagged ON delivery (created_at, id) WHERE flags <> '{}'`);
    await q.query(`CREATE INDEX ix_consent_event_recorded ON consent_event (recorded_at, source, status)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_consent_event_recorded`);
    await q.query(`DROP INDEX ix_delivery_flagged`);
    await q.query(`DROP INDEX ix_delivery_request_ops`);
    await q.query(`DROP INDEX ix_delivery_status_created`);
    await q.query(`DROP INDEX ix_delivery_connection_created`);
    await q.query(`DROP INDEX ix_delivery_created`);
  }
}
