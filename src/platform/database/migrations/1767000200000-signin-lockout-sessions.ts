import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in hardening: the start of a user's window of counted attempts (failures decay once it is over),
 * and indexes for the sweep that deletes expired and idle console sessions (with their IP and user agent).
 */
export class SigninLockoutSessions1767000200000 implements MigrationInterface {
  name = 'SigninLockoutSessions1767000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE console_user ADD COLUMN failures_since timestamptz NULL`);
    await q.query(`CREATE INDEX ix_console_session_expires ON console_session (expires_at)`);
    await q.query(`CREATE INDEX ix_console_session_last_seen ON console_session (last_seen_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_console_session_last_seen`);
    await q.query(`DROP INDEX ix_console_session_expires`);
    await q.query(`ALTER TABLE console_user DROP COLUMN failures_since`);
  }
}
