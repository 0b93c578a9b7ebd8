import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Single-use OAuth states (issue 10): the nonce of every state that completed a flow, until the state expires.
 * Owned by the connectors module (OAuthStateNonceEntity).
 */
export class OAuthStateNonce1767000300000 implements MigrationInterface {
  name = 'OAuthStateNonce1767000300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE oauth_state_nonce (
        nonce text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_oauth_state_nonce PRIMARY KEY (nonce)
      )`);
    await q.query(`CREATE INDEX ix_oauth_state_nonce_expires_at ON oauth_state_nonce (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE oauth_state_nonce`);
  }
}
