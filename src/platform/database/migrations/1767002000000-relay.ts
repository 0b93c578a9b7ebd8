import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay to the business's own WhatsApp integration (issue 12): its sealed copy of each delivery
 * (relay_message) and what is owed to each destination (relay_delivery), ordered per sender by seq.
 */
export class Relay1767002000000 implements MigrationInterface {
  name = 'Relay1767002000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE relay_message (
        inbox_id uuid NOT NULL CONSTRAINT pk_relay_message PRIMARY KEY
          CONSTRAINT fk_relay_message_inbox REFERENCES inbox(id) ON DELETE CASCADE,
        delivery_id text NOT NULL,
        body bytea NULL,
        key_id text NULL,
        signature text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_relay_message_body_key CHECK ((body IS NULL) = (key_id IS NULL))
      )`);
    await q.query(`
      CREATE TABLE relay_delivery (
        seq bigserial CONSTRAINT pk_relay_delivery PRIMARY KEY,
        inbox_id uuid NOT NULL CONSTRAINT fk_relay_delivery_message REFERENCES relay_message(inbox_id) ON DELETE CASCADE,
        destination text NOT NULL,
        sender_key text NULL,
        consent text NOT NULL,
        received_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        last_status integer NULL,
        last_error text NULL,
        delivered_at timestamptz NULL,
        dead_at timestamptz NULL,
        CONSTRAINT uq_relay_delivery_message_destination UNIQUE (inbox_id, destination),
        CONSTRAINT ck_relay_delivery_status CHECK (status IN ('pending','delivered','dead','erased')),
        CONSTRAINT ck_relay_delivery_consent CHECK (consent IN ('withdrawn','granted','none'))
      )`);
    await q.query(
      `CREATE INDEX ix_relay_delivery_due ON relay_delivery (next_attempt_at) WHERE status = 'pending'`,
    );
    await q.query(
      `CREATE INDEX ix_relay_delivery_sender_open ON relay_delivery (destination, sender_key, seq) WHERE status = 'pending'`,
    );
    await q.query(`CREATE INDEX ix_relay_delivery_list ON relay_delivery (destination, status, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE relay_delivery`);
    await q.query(`DROP TABLE relay_message`);
  }
}
