import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ArrayContains, IsNull, type EntityManager, type Repository } from 'typeorm';
import { EventSubscriptionEntity } from './entities/event-subscription.entity';
import type { RequestEventType } from './event-types';

/** event_subscription: automation platforms' subscriptions to request events. */
@Injectable()
export class EventSubscriptionRepository {
  constructor(
    @InjectRepository(EventSubscriptionEntity) private readonly repo: Repository<EventSubscriptionEntity>,
  ) {}

  create(input: {
    id: string;
    url: string;
    events: RequestEventType[];
    secret: Buffer;
    keyId: string;
    createdBy: string | null;
  }): Promise<EventSubscriptionEntity> {
    return this.repo.save(this.repo.create(input));
  }

  listActive(): Promise<EventSubscriptionEntity[]> {
    return this.repo.find({ where: { disabledAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  findActive(id: string, manager?: EntityManager): Promise<EventSubscriptionEntity | null> {
    const repo = manager ? manager.getRepository(EventSubscriptionEntity) : this.repo;
    return repo.findOne({ where: { id, disabledAt: IsNull() } });
  }

  find(id: string): Promise<EventSubscriptionEntity | null> {
    return this.repo.findOne({ where: { id } });
  }

  byIds(ids: readonly string[]): Promise<EventSubscriptionEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.repo.createQueryBuilder('s').where('s.id IN (:...ids)', { ids }).getMany();
  }

  /** The active subscriptions to one event type, read in the announcing transaction. */
  subscribersOf(manager: EntityManager, type: RequestEventType): Promise<EventSubscriptionEntity[]> {
    return manager.getRepository(EventSubscriptionEntity).find({
      where: { events: ArrayContains([type]), disabledAt: IsNull() },
      order: { createdAt: 'ASC' },
    });
  }

  async disable(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.getRepository(EventSubscriptionEntity).update({ id }, { disabledAt: at });
  }
}
