import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConnectionService, RecordLinks } from '../connectors';
import { LedgerService } from '../ledger';
import { DeliveryRepository } from './delivery.repository';
import { PropagationKicker } from './propagation.kicker';
import type { DeliveryOperation } from './propagation.constants';

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
    private readonly links: RecordLinks,
    private readonly deliveries: DeliveryRepository,
    private readonly kicker: PropagationKicker,
  ) {}

  onModuleInit(): void {
    this.ledger.onStateChanged(async (manager, change) => {
      await this.plan(manager, change.subjectId, 'consent_update', change.eventId, change.originConnectionId);
    });
    // A record of a known person appeared at a CRM, or shows an older value: push the person's current state.
    this.links.onRecordsBehind(async (manager, connectionId, subjectIds, readAt) => {
      await this.deliveries.reopenOrPlan(manager, connectionId, subjectIds, readAt);
      await this.kicker.kickWithin(manager, [connectionId]);
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
    await this.deliveries.plan(manager, ids, subjectId, operation, triggerEventId);
    await this.kicker.kickWithin(manager, ids);
    return ids;
  }
}
