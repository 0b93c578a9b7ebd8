import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { scrubbedText } from '../../platform/logging/personal-data-scrubber';
import type { RelayDeliveryStatus } from './entities/relay-delivery.entity';
import type { RelayConsent } from './relay-consent';

/** One delivery to keep for relaying: the body already sealed. */
export interface NewRelayMessage {
  inboxId: string;
  deliveryId: string;
  body: Buffer;
  keyId: string;
  signature: string | null;
  senderKey: string | null;
  consent: RelayConsent;
  receivedAt: Date;
}

/** A row claimed for one attempt: everything the sender needs. */
export interface ClaimedRelayDelivery {
  seq: string;
  inboxId: string;
  deliveryId: string;
  destination: string;
  consent: RelayConsent;
  receivedAt: Date;
  attempts: number;
  body: Buffer | null;
  keyId: string | null;
  signature: string | null;
}

export interface RelayDestinationFigures {
  destination: string;
  forwarded: number;
  retrying: number;
  pending: number;
  dead: number;
  erased: number;
  oldestUndeliveredAt: Date | null;
}

/** A delivery as the API lists it: nothing personal (the sender is not shown, even as a blind index). */
export interface RelayDeliveryView {
  id: string;
  deliveryId: string;
  destination: string;
  status: RelayDeliveryStatus;
  consent: RelayConsent;
  attempts: number;
  receivedAt: Date;
  nextAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  deadAt: Date | null;
}

/**
 * relay_message and relay_delivery. raw SQL throughout: multi-row inserts from arrays (a processing batch is
 * one statement), the claim with FOR UPDATE SKIP LOCKED and the per-sender ordering rule, and times passed
 * in from the relay's clock rather than now() (so retry horizons can be tested without waiting).
 */
@Injectable()
export class RelayRepository {
  constructor(@InjectDataSource() private readonly data: DataSource) {}

  /**
   * Keeps the messages and one pending row per destination, in the caller's (the processing) transaction. A
   * delivery processed again (an inbox replay) is already here and is not owed twice.
   */
  async record(
    manager: EntityManager,
    messages: readonly NewRelayMessage[],
    destinations: readonly string[],
    now: Date,
  ): Promise<void> {
    if (messages.length === 0 || destinations.length === 0) return;
    const inserted = await manager.query<{ inbox_id: string }[]>(
      `INSERT INTO relay_message (inbox_id, delivery_id, body, key_id, signature)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::text[], $5::text[])
       ON CONFLICT (inbox_id) DO NOTHING
       RETURNING inbox_id`,
      [
        messages.map((m) => m.inboxId),
        messages.map((m) => m.deliveryId),
        messages.map((m) => m.body),
        messages.map((m) => m.keyId),
        messages.map((m) => m.signature),
      ],
    );
    const fresh = new Set(inserted.map((r) => r.inbox_id));
    const rows = messages
      .filter((m) => fresh.has(m.inboxId))
      .flatMap((m) => destinations.map((d) => ({ m, d })));
    if (rows.length === 0) return;
    // seq follows the order of the arrays: a batch's deliveries in the order they were received.
    await manager.query(
      `INSERT INTO relay_delivery (inbox_id, destination, sender_key, consent, received_at, next_attempt_at)
       SELECT i, d, s, c, r, $6 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
         WITH ORDINALITY AS t(i, d, s, c, r, n)
       ORDER BY n
       ON CONFLICT (inbox_id, destination) DO NOTHING`,
      [
        rows.map((r) => r.m.inboxId),
        rows.map((r) => r.d),
        rows.map((r) => r.m.senderKey),
        rows.map((r) => r.m.consent),
        rows.map((r) => r.m.receivedAt),
        now,
      ],
    );
  }

  /**
   * Takes up to `limit` due rows for one attempt each: the attempt is counted and the row pushed `leaseMs`
   * into the future, so a sender that dies mid-send leaves it due again after the lease (and its next attempt
   * is marked a redelivery). A row waits while an earlier row of the same sender to the same destination is
   * still pending: a sender's deliveries reach each destination in order.
   */
  async claimDue(limit: number, now: Date, leaseMs: number): Promise<ClaimedRelayDelivery[]> {
    const rows = await this.data.query<
      {
        seq: string;
        inbox_id: string;
        delivery_id: string;
        destination: string;
        consent: RelayConsent;
        received_at: Date;
        attempts: number;
        body: Buffer | null;
        key_id: string | null;
        signature: string | null;
      }[]
    >(
      `WITH claimed AS (
         UPDATE relay_delivery d
            SET attempts = d.attempts + 1, next_attempt_at = $2::timestamptz + make_interval(secs => $3 / 1000.0)
          WHERE d.seq IN (
            SELECT c.seq FROM relay_delivery c
             WHERE c.status = 'pending' AND c.next_attempt_at <= $2
               AND (c.sender_key IS NULL OR NOT EXISTS (
                     SELECT 1 FROM relay_delivery e
                      WHERE e.destination = c.destination AND e.sender_key = c.sender_key
                        AND e.status = 'pending' AND e.seq < c.seq))
             ORDER BY c.next_attempt_at, c.seq
             LIMIT $1
             FOR UPDATE SKIP LOCKED)
          RETURNING d.seq, d.inbox_id, d.destination, d.consent, d.received_at, d.attempts)
       SELECT c.*, m.delivery_id, m.body, m.key_id, m.signature
         FROM claimed c JOIN relay_message m ON m.inbox_id = c.inbox_id
        ORDER BY c.seq`,
      [limit, now, leaseMs],
    );
    return rows.map((r) => ({
      seq: String(r.seq),
      inboxId: r.inbox_id,
      deliveryId: r.delivery_id,
      destination: r.destination,
      consent: r.consent,
      receivedAt: new Date(r.received_at),
      attempts: r.attempts,
      body: r.body,
      keyId: r.key_id,
      signature: r.signature,
    }));
  }

  /** Delivered; the body goes once no destination still needs it. */
  async markDelivered(row: ClaimedRelayDelivery, status: number, at: Date): Promise<void> {
    await this.settle(
      row,
      `UPDATE relay_delivery SET status = 'delivered', last_status = $2, last_error = NULL, delivered_at = $3
        WHERE seq = $1 AND status = 'pending'`,
      [row.seq, status, at],
    );
  }

  /** Failed, to be tried again at `nextAttemptAt`. */
  async markRetry(
    row: ClaimedRelayDelivery,
    nextAttemptAt: Date,
    status: number | null,
    error: string,
  ): Promise<void> {
    await this.data.query(
      `UPDATE relay_delivery SET next_attempt_at = $2, last_status = $3, last_error = $4
        WHERE seq = $1 AND status = 'pending'`,
      [row.seq, nextAttemptAt, status, scrubbedText(error, 500)],
    );
  }

  /** Past the horizon: dead, kept (with its body) for a replay. */
  async markDead(row: ClaimedRelayDelivery, status: number | null, error: string, at: Date): Promise<void> {
    await this.data.query(
      `UPDATE relay_delivery SET status = 'dead', last_status = $2, last_error = $3, dead_at = $4
        WHERE seq = $1 AND status = 'pending'`,
      [row.seq, status, scrubbedText(error, 500), at],
    );
  }

  /**
   * Runs the row's update and drops the message's body when no row of it is pending or dead any more. The
   * message row is locked first, so two destinations settling at once cannot both miss the other's update.
   */
  private async settle(row: ClaimedRelayDelivery, update: string, values: unknown[]): Promise<void> {
    await this.data.transaction(async (manager) => {
      await manager.query(`SELECT 1 FROM relay_message WHERE inbox_id = $1 FOR UPDATE`, [row.inboxId]);
      await manager.query(update, values);
      await manager.query(
        `UPDATE relay_message SET body = NULL, key_id = NULL
          WHERE inbox_id = $1 AND body IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM relay_delivery
                             WHERE inbox_id = $1 AND status IN ('pending','dead'))`,
        [row.inboxId],
      );
    });
  }

  /**
   * A person's erasure, in its transaction: the relay's copies of these deliveries go, and what was not yet
   * forwarded never will be (`erased`). Returns how many rows were stopped.
   */
  async erase(manager: EntityManager, inboxIds: readonly string[], at: Date): Promise<number> {
    if (inboxIds.length === 0) return 0;
    const [, stopped] = await manager.query<[unknown, number]>(
      `UPDATE relay_delivery SET status = 'erased', last_error = 'the person was erased', dead_at = NULL,
              delivered_at = NULL, next_attempt_at = $2
        WHERE inbox_id = ANY($1::uuid[]) AND status IN ('pending','dead')`,
      [inboxIds, at],
    );
    await manager.query(
      `UPDATE relay_message SET body = NULL, key_id = NULL WHERE inbox_id = ANY($1::uuid[]) AND body IS NOT NULL`,
      [inboxIds],
    );
    return stopped;
  }

  /** A dead row pending again, due now (if its body is still kept). */
  async replay(seq: string, now: Date): Promise<'replayed' | 'not_found' | 'not_dead'> {
    const [, replayed] = await this.data.query<[unknown, number]>(
      `UPDATE relay_delivery d SET status = 'pending', next_attempt_at = $2, dead_at = NULL
         FROM relay_message m
        WHERE d.seq = $1 AND d.status = 'dead' AND m.inbox_id = d.inbox_id AND m.body IS NOT NULL`,
      [seq, now],
    );
    if (replayed) return 'replayed';
    const exists = await this.data.query<unknown[]>(`SELECT 1 FROM relay_delivery WHERE seq = $1`, [seq]);
    return exists.length ? 'not_dead' : 'not_found';
  }

  /** Every dead row of a destination pending again; returns how many. */
  async replayDead(destination: string, now: Date): Promise<number> {
    const [, count] = await this.data.query<[unknown, number]>(
      `UPDATE relay_delivery d SET status = 'pending', next_attempt_at = $2, dead_at = NULL
         FROM relay_message m
        WHERE d.destination = $1 AND d.status = 'dead' AND m.inbox_id = d.inbox_id AND m.body IS NOT NULL`,
      [destination, now],
    );
    return count;
  }

  /** Counts per destination, and the oldest delivery not yet forwarded. */
  async figures(): Promise<RelayDestinationFigures[]> {
    const rows = await this.data.query<
      {
        destination: string;
        forwarded: string;
        retrying: string;
        pending: string;
        dead: string;
        erased: string;
        oldest: Date | null;
      }[]
    >(
      `SELECT destination,
              count(*) FILTER (WHERE status = 'delivered') AS forwarded,
              count(*) FILTER (WHERE status = 'pending' AND attempts > 0) AS retrying,
              count(*) FILTER (WHERE status = 'pending') AS pending,
              count(*) FILTER (WHERE status = 'dead') AS dead,
              count(*) FILTER (WHERE status = 'erased') AS erased,
              min(received_at) FILTER (WHERE status IN ('pending','dead')) AS oldest
         FROM relay_delivery GROUP BY destination`,
    );
    return rows.map((r) => ({
      destination: r.destination,
      forwarded: Number(r.forwarded),
      retrying: Number(r.retrying),
      pending: Number(r.pending),
      dead: Number(r.dead),
      erased: Number(r.erased),
      oldestUndeliveredAt: r.oldest ? new Date(r.oldest) : null,
    }));
  }

  /**
   * The relay's log past retention: messages received before `before` with nothing pending and no body left (every
   * destination delivered or erased) go, with their rows; dead ones keep theirs until replayed or erased.
   * Returns how many messages were removed.
   */
  async purgeLogBefore(before: Date): Promise<number> {
    const [, removed] = await this.data.query<[unknown, number]>(
      `DELETE FROM relay_message m
        WHERE m.created_at < $1 AND m.body IS NULL
          AND NOT EXISTS (SELECT 1 FROM relay_delivery d WHERE d.inbox_id = m.inbox_id AND d.status = 'pending')`,
      [before],
    );
    return removed;
  }

  /** When the oldest pending delivery to a destination was received (the lag gauge; one index probe). */
  async oldestPendingAt(destination: string): Promise<Date | null> {
    const rows = await this.data.query<{ received_at: Date }[]>(
      `SELECT received_at FROM relay_delivery WHERE destination = $1 AND status = 'pending' ORDER BY seq LIMIT 1`,
      [destination],
    );
    return rows.length ? new Date(rows[0].received_at) : null;
  }

  /** When the next pending row is due (the worker sleeps until then). */
  async nextDueAt(): Promise<Date | null> {
    const rows = await this.data.query<{ next_attempt_at: Date }[]>(
      `SELECT next_attempt_at FROM relay_delivery WHERE status = 'pending' ORDER BY next_attempt_at LIMIT 1`,
    );
    return rows.length ? new Date(rows[0].next_attempt_at) : null;
  }

  /** Newest first, `limit` rows before the `before` cursor (a seq), filtered by destination and status. */
  async list(filter: {
    destination?: string;
    status?: RelayDeliveryStatus;
    before?: string;
    limit: number;
  }): Promise<RelayDeliveryView[]> {
    const rows = await this.data.query<
      {
        seq: string;
        delivery_id: string;
        destination: string;
        status: RelayDeliveryStatus;
        consent: RelayConsent;
        attempts: number;
        received_at: Date;
        next_attempt_at: Date;
        last_status: number | null;
        last_error: string | null;
        delivered_at: Date | null;
        dead_at: Date | null;
      }[]
    >(
      `SELECT d.seq, m.delivery_id, d.destination, d.status, d.consent, d.attempts, d.received_at,
              d.next_attempt_at, d.last_status, d.last_error, d.delivered_at, d.dead_at
         FROM relay_delivery d JOIN relay_message m ON m.inbox_id = d.inbox_id
        WHERE ($1::text IS NULL OR d.destination = $1) AND ($2::text IS NULL OR d.status = $2)
          AND ($3::bigint IS NULL OR d.seq < $3)
        ORDER BY d.seq DESC LIMIT $4`,
      [filter.destination ?? null, filter.status ?? null, filter.before ?? null, filter.limit],
    );
    return rows.map((r) => ({
      id: String(r.seq),
      deliveryId: r.delivery_id,
      destination: r.destination,
      status: r.status,
      consent: r.consent,
      attempts: r.attempts,
      receivedAt: new Date(r.received_at),
      nextAttemptAt: r.status === 'pending' ? new Date(r.next_attempt_at) : null,
      lastStatus: r.last_status,
      lastError: r.last_error,
      deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
      deadAt: r.dead_at ? new Date(r.dead_at) : null,
    }));
  }
}
