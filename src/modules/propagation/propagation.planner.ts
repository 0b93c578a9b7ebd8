import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { QueueService } from '../../platform/queue/queue.service';
import { ConnectionService } from '../connectors/connection.service';
import { LedgerService } from '../ledger/ledger.service';
import {
  PROPAGATION_CHANNEL,
  PROPAGATION_DRAIN_QUEUE,
  type DeliveryOperation,
  type DrainJob,
} from './propagation.constants';

/**
 * Decides who must hear of a change, inside the ledger transaction: one delivery per connection that
 * holds, or may hold, the person, plus the job that drains it. Either all of it commits with the event or
 * none of it does. An open delivery for the same person, connection and operation absorbs the change
 * (the worker pushes current state, so one call carries every pending change).
 */
@Injectable()
export class PropagationPlanner implements OnModuleInit {
  constructor(
    private readonly ledger: LedgerService,
    private readonly connections: ConnectionService,
    private readonly jobs: QueueService,
  ) {}

  onModuleInit(): void {
    this.ledger.onStateChanged(async (manager, change) => {
      await this.plan(manager, change.subjectId, 'consent_update', change.eventId, change.originConnectionId);
    });
  }

  async plan(
    manager: EntityManager,
    subjectId: string,
    operation: DeliveryOperation,
    triggerEventId: string | null,
    exceptConnectionId: string | null = null,
  ): Promise<string[]> {
    const targets = (await this.connections.propagationTargets(manager)).filter(
      (t) => t.id !== exceptConnectionId,
    );
    if (targets.length === 0) return [];
    const ids = targets.map((t) => t.id);
    await manager.query(
      `INSERT INTO delivery (connection_id, subject_id, operation, trigger_event_id)
       SELECT c, $2, $3, $4 FROM unnest($1::uuid[]) AS c
       ON CONFLICT (connection_id, subject_id, operation) WHERE status IN ('pending','retrying')
       DO UPDATE SET trigger_event_id = EXCLUDED.trigger_event_id, coalesced = delivery.coalesced + 1, updated_at = now()`,
      [ids, subjectId, operation, triggerEventId],
    );
    // One queued kick per connection is enough (the queue's short policy drops repeats by singleton key),
    // and all of them go in one statement.
    await this.jobs.boss.insert(
      ids.map((connectionId) => ({
        name: PROPAGATION_DRAIN_QUEUE,
        data: { connectionId } satisfies DrainJob,
        singletonKey: connectionId,
      })),
      { db: await QueueService.dbOf(manager) },
    );
    await manager.query(`SELECT pg_notify($1, $2)`, [PROPAGATION_CHANNEL, ids.join(',')]);
    return ids;
  }
}
