import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, type Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { RequestEventEntity } from './entities/request-event.entity';

export interface HistoryEntry {
  requestId: string;
  action: string;
  actor: string;
  /** Ids, counts, codes and field names only: never a value that identifies the person. */
  detail?: Record<string, unknown>;
  at: Date;
}

/** request_event: the append-only history of every request. */
@Injectable()
export class RequestHistoryRepository {
  constructor(@InjectRepository(RequestEventEntity) private readonly repo: Repository<RequestEventEntity>) {}

  async append(manager: EntityManager, entries: readonly HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((e) => ({
      requestId: e.requestId,
      action: e.action,
      actor: e.actor,
      detail: e.detail ?? {},
      at: e.at,
    }));
    // jsonb details are plain objects; TypeORM's deep-partial type cannot say so for Record<string, unknown>.
    await manager
      .getRepository(RequestEventEntity)
      .insert(rows as QueryDeepPartialEntity<RequestEventEntity>[]);
  }

  /** Every step of these requests, in the order they were recorded. */
  of(requestIds: readonly string[]): Promise<RequestEventEntity[]> {
    if (requestIds.length === 0) return Promise.resolve([]);
    return this.repo.find({ where: { requestId: In([...requestIds]) }, order: { seq: 'ASC' } });
  }
}
