import type { MigrationInterface, QueryRunner } from 'typeorm';

const EVENT_TYPES = `'request.created','request.due_soon','request.overdue','request.completed','request.task_reminder'`;

/**
 * Signed webhook events for automation platforms: who subscribed to which request events (event_subscription,
 * secret sealed) and the outbox of events owed to them with each one's delivery log (event_outbox). The person's
 * contact rides in the outbox sealed, and only until the event is delivered, given up or the person forgotten.
 */
export class EventSubscriptions1766000003000 implements MigrationInterface {
  name = 'EventSubscriptions1766000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE event_subscription (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url text NOT NULL,
        events text[] NOT NULL,
        secret bytea NOT NULL,
        key_id text NOT NULL,
        created_by text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz NULL,
        CONSTRAINT ck_event_subscription_events CHECK (cardinality(events) > 0 AND events <@ ARRAY[${EVENT_TYPES}]::text[])
      )`);
    await q.query(
      `CREATE INDEX ix_event_subscription_active ON event_subscription (created_at) WHERE disabled_at IS NULL`,
    );

    // Subscriptions are disabled, never deleted, so their delivery log stays (RESTRICT). request_id has no
    // foreign key so this migration stands on its own beside the requests migration (only RequestEvents writes
    // rows, each with a request's id); subject_id has one, for the erasure hook that clears the contact.
    await q.query(`
      CREATE TABLE event_outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subscription_id uuid NOT NULL CONSTRAINT fk_event_outbox_subscription REFERENCES event_subscription(id) ON DELETE RESTRICT,
        type text NOT NULL,
        request_id uuid NOT NULL,
        subject_id uuid NULL CONSTRAINT fk_event_outbox_subject REFERENCES subject(id) ON DELETE SET NULL,
        payload jsonb NOT NULL,
        sealed_contact bytea NULL,
        contact_key_id text NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_status integer NULL,
        last_error text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz NULL,
        given_up_at timestamptz NULL,
        CONSTRAINT ck_event_outbox_type CHECK (type IN (${EVENT_TYPES})),
        CONSTRAINT ck_event_outbox_status CHECK (status IN ('pending','retrying','delivered','failed')),
        CONSTRAINT ck_event_outbox_contact_key CHECK ((sealed_contact IS NULL) = (contact_key_id IS NULL))
      )`);
    await q.query(
      `CREATE INDEX ix_event_outbox_due ON event_outbox (next_attempt_at) WHERE status IN ('pending','retrying')`,
    );
    await q.query(`CREATE INDEX ix_event_outbox_subscription ON event_outbox (subscription_id, created_at)`);
    await q.query(
      `CREATE INDEX ix_event_outbox_contact ON event_outbox (subject_id) WHERE sealed_contact IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE event_outbox`);
    await q.query(`DROP TABLE event_subscription`);
  }
}
