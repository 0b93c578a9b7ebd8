import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, LessThanOrEqual, type Repository } from 'typeorm';
import { RequestTaskEntity } from './entities/request-task.entity';

export type NewTask = Pick<
  RequestTaskEntity,
  | 'requestId'
  | 'operation'
  | 'reason'
  | 'vendorId'
  | 'connectionId'
  | 'deliveryId'
  | 'processorName'
  | 'nextReminderAt'
>;

/** request_task: what the DPO must do by hand for a request. */
@Injectable()
export class RequestTaskRepository {
  constructor(@InjectRepository(RequestTaskEntity) private readonly repo: Repository<RequestTaskEntity>) {}

  /**
   * Adds the tasks not there yet (a dead delivery or a vendor is one task however often it is heard of); answers
   * the ids of those it added. raw SQL: INSERT … ON CONFLICT DO NOTHING over the two partial unique indexes.
   */
  async addMissing(manager: EntityManager, tasks: readonly NewTask[]): Promise<string[]> {
    const added: string[] = [];
    for (const t of tasks) {
      const rows = await manager.query<{ id: string }[]>(
        `INSERT INTO request_task
                (request_id, operation, reason, vendor_id, connection_id, delivery_id, processor_name, next_reminder_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT DO NOTHING RETURNING id`,
        [
          t.requestId,
          t.operation,
          t.reason,
          t.vendorId,
          t.connectionId,
          t.deliveryId,
          t.processorName,
          t.nextReminderAt,
        ],
      );
      if (rows[0]) added.push(rows[0].id);
    }
    return added;
  }

  of(requestIds: readonly string[], manager?: EntityManager): Promise<RequestTaskEntity[]> {
    if (requestIds.length === 0) return Promise.resolve([]);
    const repo = manager ? manager.getRepository(RequestTaskEntity) : this.repo;
    return repo.find({ where: { requestId: In([...requestIds]) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  lock(manager: EntityManager, id: string): Promise<RequestTaskEntity | null> {
    return manager
      .getRepository(RequestTaskEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async update(
    manager: EntityManager,
    id: string,
    values: Partial<Omit<RequestTaskEntity, 'request' | 'vendor' | 'connection'>>,
  ): Promise<void> {
    await manager.getRepository(RequestTaskEntity).update({ id }, values);
  }

  /** Open tasks whose reminder is due, oldest first. */
  async remindersDue(now: Date, limit: number): Promise<string[]> {
    const rows = await this.repo.find({
      select: { id: true },
      where: { status: 'open', nextReminderAt: LessThanOrEqual(now) },
      order: { nextReminderAt: 'ASC' },
      take: limit,
    });
    return rows.map((r) => r.id);
  }

  /** Evidence may name the person: it goes when they are forgotten; its SHA-256 stays as proof. */
  async forgetEvidence(manager: EntityManager, requestIds: readonly string[]): Promise<void> {
    if (requestIds.length === 0) return;
    await manager
      .getRepository(RequestTaskEntity)
      .update({ requestId: In([...requestIds]) }, { evidenceCiphertext: null, evidenceKeyId: null });
  }
}
