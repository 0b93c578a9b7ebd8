import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConnectionService, RecordLinks } from '../connectors';
import { LedgerService, type StateChange } from '../ledger';
import { DeliveryRepository } from './delivery.repository';
import { PropagationKicker } from './propagation.kicker';

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
    this.ledger.onStateChanged((manager, changes) => this.planChanges(manager, changes));
    // A record of a known person appeared at a CRM, or shows an older value: push the person's current state.
    this.links.onRecordsBehind(async (manager, connectionId, subjectIds, readAt) => {
      await this.deliveries.reopenOrPlan(manager, connectionId, subjectIds, readAt);
      await this.kicker.kickWithin(manager, [connectionId]);
    });
  }

  /**
   * One consent_update delivery per person and connection for these changes (a batch in one statement per
   * origin), except to the connection a change came from, which already has it; then one kick per connection.
   */
  async planChanges(manager: EntityManager, changes: readonly StateChange[]): Promise<void> {
    if (changes.length === 0) return;
    const targets = await this.connections.propagationTargets(manager);
    if (targets.length === 0) return;
    const byOrigin = new Map<string | null, Map<string, string>>();
    for (const change of changes) {
      let latest = byOrigin.get(change.originConnectionId);
      if (!latest) byOrigin.set(change.originConnectionId, (latest = new Map<string, string>()));
      // A person changed twice in one batch: the later event triggers their delivery (it carries current state).
      latest.set(change.subjectId, change.eventId);
    }
    const kicked = new Set<string>();
    for (const [origin, latest] of byOrigin) {
      const ids = targets.filter((t) => t.id !== origin).map((t) => t.id);
      if (ids.length === 0) continue;
      await this.deliveries.planMany(
        manager,
        ids,
        [...latest.keys()],
        [...latest.values()],
        'consent_update',
      );
      for (const id of ids) kicked.add(id);
    }
    await this.kicker.kickWithin(manager, [...kicked]);
  }
}
