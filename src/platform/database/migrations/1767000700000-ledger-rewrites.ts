import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * WhatsApp message ids (wamids) base64-encode a phone number, and events recorded before this version keep them in
 * clear in consent_event.source_event_id and evidence. Their pseudonyms are blind indexes, whose key is not in the
 * database, so SQL cannot compute them: this migration only asks for the rewrite (ledger_rewrite), and the
 * gateway's code runs it (a worker at start, or `npm run cli -- pii:pseudonymise-wamids`) and records it done.
 */
export class LedgerRewrites1767000700000 implements MigrationInterface {
  name = 'LedgerRewrites1767000700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_rewrite (
        name text PRIMARY KEY,
        requested_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz NULL,
        rewritten integer NULL
      )`);
    await q.query(`INSERT INTO ledger_rewrite (name) VALUES ('whatsapp-wamid-pseudonyms')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_rewrite`);
  }
}
