import { Injectable } from '@nestjs/common';
import type { Client } from 'pg';
import type { EntityManager } from 'typeorm';

/**
 * LISTEN/NOTIFY, how modules announce commits to every process (cache invalidation, worker wake-up).
 * TypeORM has no API for either, so both stay raw SQL here. Platform infrastructure: it owns no table.
 */
@Injectable()
export class Notifications {
  /** raw SQL: pg_notify in the caller's transaction, so the notification is delivered only on commit. */
  async notify(manager: EntityManager, channel: string, payload: string): Promise<void> {
    await manager.query(`SELECT pg_notify($1, $2)`, [channel, payload]);
  }

  /** raw SQL: one pg_notify per payload in one statement (set-returning unnest), in the caller's transaction. */
  async notifyEach(manager: EntityManager, channel: string, payloads: readonly string[]): Promise<void> {
    await manager.query(`SELECT pg_notify($1, k) FROM unnest($2::text[]) AS k`, [channel, payloads]);
  }

  /** raw SQL: LISTEN on the listener's own long-lived connection (a channel name is an identifier, not a parameter). */
  async listen(client: Client, channel: string): Promise<void> {
    await client.query(`LISTEN ${channel}`);
  }
}
