import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { QueueService } from '../../platform/queue/queue.service';
import {
  PROPAGATION_CHANNEL,
  PROPAGATION_DRAIN_QUEUE,
  PROPAGATION_MAINTENANCE_QUEUE,
  type DrainJob,
} from './propagation.constants';

/**
 * The one way to tell propagation that a connection has work: a drain job (so the kick survives a
 * restart) and, where it matters, a NOTIFY (so a worker starts at once instead of at its next poll).
 * Owns the queue names; nothing outside propagation sends to them directly (modules below propagation
 * announce through their hooks, and propagation kicks).
 */
@Injectable()
export class PropagationKicker {
  constructor(private readonly jobs: QueueService) {}

  /** Creates propagation's queues (idempotent). */
  async startQueues(): Promise<void> {
    await this.jobs.start([
      { name: PROPAGATION_DRAIN_QUEUE, retryLimit: 3, retryDelay: 1, expireInSeconds: 60, policy: 'short' },
      { name: PROPAGATION_MAINTENANCE_QUEUE, retryLimit: 0, expireInSeconds: 120 },
    ]);
  }

  /**
   * Kicks the connections inside the caller's transaction: the jobs commit (or not) with the rows that
   * need them. One queued kick per connection is enough (the queue's short policy drops repeats by
   * singleton key), and all of them go in one statement; `notify: false` leaves waking to the queue.
   */
  async kickWithin(
    manager: EntityManager,
    connectionIds: readonly string[],
    { notify = true }: { notify?: boolean } = {},
  ): Promise<void> {
    if (connectionIds.length === 0) return;
    await this.jobs.boss.insert(
      connectionIds.map((connectionId) => ({
        name: PROPAGATION_DRAIN_QUEUE,
        data: { connectionId } satisfies DrainJob,
        singletonKey: connectionId,
      })),
      { db: await QueueService.dbOf(manager) },
    );
    // raw SQL: pg_notify inside the caller's transaction, so it is sent only if that commits.
    if (notify)
      await manager.query(`SELECT pg_notify($1, $2)`, [PROPAGATION_CHANNEL, connectionIds.join(',')]);
  }

  /** Kicks one connection outside any transaction (a connection resumed: its held-back work is due). */
  async kick(connectionId: string): Promise<void> {
    await this.jobs.send(PROPAGATION_DRAIN_QUEUE, { connectionId } satisfies DrainJob, {
      singletonKey: connectionId,
    });
  }

  /** Kicks the connection at a given time (its next retry is due, or another worker's lease runs out). */
  async kickAt(connectionId: string, at: Date): Promise<void> {
    // The queue keeps one waiting job per singleton key (short policy), so each timed kick gets its own.
    await this.jobs.send(PROPAGATION_DRAIN_QUEUE, { connectionId } satisfies DrainJob, {
      startAfter: at,
      singletonKey: `${connectionId}@${at.getTime()}`,
    });
  }
}
