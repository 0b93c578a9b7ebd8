import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../platform/clock/clock';
import { Notifications } from '../../platform/database/notifications';
import { NotFoundError, RequestValidationError } from '../../platform/http/problem';
import { DataSource } from 'typeorm';
import type { RelayDeliveryStatus } from './entities/relay-delivery.entity';
import { RELAY_CHANNEL } from './relay.constants';
import { RelayDispatcher } from './relay-dispatcher';
import { RelayNotDeadError } from './relay.errors';
import { RelayRepository, type RelayDeliveryView } from './relay.repository';

export interface RelayDestinationView {
  key: string;
  url: string;
  configured: boolean;
  forwarded: number;
  retrying: number;
  pending: number;
  dead: number;
  erased: number;
  lagSeconds: number;
}

/** What the API and the console see of the relay, and the replays they ask for. */
@Injectable()
export class RelayService {
  constructor(
    private readonly relay: RelayRepository,
    private readonly dispatcher: RelayDispatcher,
    private readonly notifications: Notifications,
    private readonly data: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Every configured destination (and any removed one with rows left), with its figures. */
  async destinations(): Promise<RelayDestinationView[]> {
    const figures = new Map((await this.relay.figures()).map((f) => [f.destination, f]));
    const configured = this.dispatcher.destinationList;
    const keys = [...new Set([...configured.map((d) => d.key), ...figures.keys()])];
    const now = this.clock.now();
    return keys.map((key) => {
      const f = figures.get(key);
      const destination = configured.find((d) => d.key === key);
      return {
        key,
        url: destination?.shown ?? '(no longer configured)',
        configured: Boolean(destination),
        forwarded: f?.forwarded ?? 0,
        retrying: f?.retrying ?? 0,
        pending: f?.pending ?? 0,
        dead: f?.dead ?? 0,
        erased: f?.erased ?? 0,
        lagSeconds: f?.oldestUndeliveredAt
          ? Math.max(0, Math.round((now - f.oldestUndeliveredAt.getTime()) / 1000))
          : 0,
      };
    });
  }

  async deliveries(filter: {
    destination?: string;
    status?: RelayDeliveryStatus;
    before?: string;
    limit: number;
  }): Promise<{ items: RelayDeliveryView[]; next: string | null }> {
    const items = await this.relay.list(filter);
    return { items, next: items.length === filter.limit ? items[items.length - 1].id : null };
  }

  async replay(id: string): Promise<{ id: string; status: 'pending' }> {
    const outcome = await this.relay.replay(id, new Date(this.clock.now()));
    if (outcome === 'not_found') throw new NotFoundError(`relay delivery ${id} not found`);
    if (outcome === 'not_dead')
      throw new RelayNotDeadError('only a dead delivery whose body is still kept can be replayed');
    await this.wake();
    return { id, status: 'pending' };
  }

  async replayDead(destination: string): Promise<{ replayed: number }> {
    if (!(await this.destinations()).some((d) => d.key === destination))
      throw new RequestValidationError('destination is not a relay destination', [
        { field: 'destination', message: 'is not a relay destination' },
      ]);
    const replayed = await this.relay.replayDead(destination, new Date(this.clock.now()));
    if (replayed) await this.wake();
    return { replayed };
  }

  /**
   * A person's erasure, in its transaction (the ledger calls this where it purges the inbox's bodies): the
   * relay's copies of these deliveries go, and none of them is forwarded afterwards. Returns the rows stopped.
   */
  eraseDeliveries(manager: EntityManager, inboxIds: readonly string[]): Promise<number> {
    return this.relay.erase(manager, inboxIds, new Date(this.clock.now()));
  }

  private wake(): Promise<void> {
    return this.data.transaction((manager) => this.notifications.notify(manager, RELAY_CHANNEL, ''));
  }
}
