import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, In, type Repository } from 'typeorm';
import { DataSubjectRequestEntity } from './entities/data-subject-request.entity';
import { RequestPauseEntity } from './entities/request-pause.entity';
import { OPEN_STATUSES, type RequestStatus, type RequestType } from './requests.types';

export interface RequestFilter {
  status?: RequestStatus;
  type?: RequestType;
  /** true: only overdue ones; false: none of them. */
  overdue?: boolean;
  dueBefore?: Date;
  limit: number;
  /** Page after this (received_at, id), newest first. */
  after?: { receivedAt: Date; id: string } | null;
}

/** The columns of a request a write sets (relations excluded). */
export type RequestWrite = Partial<
  Omit<DataSubjectRequestEntity, 'subject' | 'absorbedBy' | 'originConnection'>
>;

export interface RequestCounts {
  open: number;
  identity_verification: number;
  waiting_on_processors: number;
  due_soon: number;
  overdue: number;
}

/** data_subject_request and request_pause: the requests and the spans their clocks stood still. */
@Injectable()
export class RequestRepository {
  constructor(
    @InjectRepository(DataSubjectRequestEntity)
    private readonly repo: Repository<DataSubjectRequestEntity>,
    @InjectRepository(RequestPauseEntity) private readonly pauses: Repository<RequestPauseEntity>,
  ) {}

  private of(manager?: EntityManager): Repository<DataSubjectRequestEntity> {
    return manager ? manager.getRepository(DataSubjectRequestEntity) : this.repo;
  }

  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(work);
  }

  /**
   * Serialises work on one person's requests for the caller's transaction (an open erasure absorbs a second one,
   * however concurrently they arrive). raw SQL: a transaction-scoped advisory lock.
   */
  async lockPerson(manager: EntityManager, subjectId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('dsr:' || $1, 0))`, [subjectId]);
  }

  async insert(manager: EntityManager, values: RequestWrite): Promise<DataSubjectRequestEntity> {
    const repo = this.of(manager);
    return repo.save(repo.create(values));
  }

  async update(manager: EntityManager, id: string, values: RequestWrite): Promise<void> {
    await this.of(manager).update({ id }, { ...values, updatedAt: new Date() });
  }

  find(id: string, manager?: EntityManager): Promise<DataSubjectRequestEntity | null> {
    return this.of(manager).findOne({ where: { id } });
  }

  /** The request, locked for the caller's transaction. */
  lock(manager: EntityManager, id: string): Promise<DataSubjectRequestEntity | null> {
    return this.of(manager).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  byDedupeKey(manager: EntityManager, hash: Buffer): Promise<DataSubjectRequestEntity | null> {
    return this.of(manager).findOne({ where: { dedupeKeyHash: hash } });
  }

  openErasureOf(manager: EntityManager, subjectId: string): Promise<DataSubjectRequestEntity | null> {
    return this.of(manager).findOne({
      where: { subjectId, type: 'erasure', status: In([...OPEN_STATUSES]) },
    });
  }

  /** Every request of a person, oldest first (an access export lists them). */
  ofSubject(subjectId: string): Promise<DataSubjectRequestEntity[]> {
    return this.repo.find({ where: { subjectId }, order: { receivedAt: 'ASC', id: 'ASC' } });
  }

  /** A page of requests, newest received first. */
  list(filter: RequestFilter, now: Date): Promise<DataSubjectRequestEntity[]> {
    const q = this.repo.createQueryBuilder('r');
    if (filter.status) q.andWhere('r.status = :status', { status: filter.status });
    if (filter.type) q.andWhere('r.type = :type', { type: filter.type });
    const overdue = `r.status IN (:...open) AND r.paused_since IS NULL AND r.due_at <= :now`;
    if (filter.overdue === true) q.andWhere(overdue, { open: OPEN_STATUSES, now });
    if (filter.overdue === false) q.andWhere(`NOT (${overdue})`, { open: OPEN_STATUSES, now });
    if (filter.dueBefore)
      q.andWhere('r.status IN (:...open) AND r.due_at < :dueBefore', {
        open: OPEN_STATUSES,
        dueBefore: filter.dueBefore,
      });
    const after = filter.after;
    if (after)
      q.andWhere(
        new Brackets((b) =>
          b
            .where('r.received_at < :afterAt', { afterAt: after.receivedAt })
            .orWhere('r.received_at = :afterAt AND r.id < :afterId', { afterId: after.id }),
        ),
      );
    return q.orderBy('r.received_at', 'DESC').addOrderBy('r.id', 'DESC').take(filter.limit).getMany();
  }

  /** The overview's request figures. raw SQL: five counts in one pass over the open requests. */
  async counts(now: Date, dueSoonDays: number): Promise<RequestCounts> {
    const [row] = await this.repo.query<RequestCounts[]>(
      `SELECT count(*)::int AS open,
              count(*) FILTER (WHERE status = 'identity_verification')::int AS identity_verification,
              count(*) FILTER (WHERE status = 'waiting_on_processors')::int AS waiting_on_processors,
              count(*) FILTER (WHERE paused_since IS NULL AND due_at > $1
                                 AND due_at <= $1 + make_interval(days => $2))::int AS due_soon,
              count(*) FILTER (WHERE paused_since IS NULL AND due_at <= $1)::int AS overdue
         FROM data_subject_request WHERE status = ANY($3)`,
      [now, dueSoonDays, OPEN_STATUSES],
    );
    return row;
  }

  /** Open requests per status (the cg_requests_open gauge). */
  async openByStatus(): Promise<{ status: string; n: number }[]> {
    return this.repo
      .createQueryBuilder('r')
      .select('r.status', 'status')
      .addSelect('count(*)::int', 'n')
      .where('r.status IN (:...open)', { open: OPEN_STATUSES })
      .groupBy('r.status')
      .getRawMany<{ status: string; n: number }>();
  }

  /** Open, running requests that became due soon and were not announced as such. */
  async dueSoonUnannounced(now: Date, dueSoonDays: number, limit: number): Promise<string[]> {
    const rows = await this.repo
      .createQueryBuilder('r')
      .select('r.id', 'id')
      .where('r.status IN (:...open) AND r.paused_since IS NULL', { open: OPEN_STATUSES })
      .andWhere('r.due_soon_announced_at IS NULL AND r.due_at > :now', { now })
      .andWhere('r.due_at <= :soon', { soon: new Date(now.getTime() + dueSoonDays * 86_400_000) })
      .orderBy('r.due_at')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Open, running requests past their deadline and not announced as overdue. */
  async overdueUnannounced(now: Date, limit: number): Promise<string[]> {
    const rows = await this.repo
      .createQueryBuilder('r')
      .select('r.id', 'id')
      .where('r.status IN (:...open) AND r.paused_since IS NULL', { open: OPEN_STATUSES })
      .andWhere('r.overdue_announced_at IS NULL AND r.due_at <= :now', { now })
      .orderBy('r.due_at')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Requests waiting on processors (the sweep re-checks them in case a settlement was missed). */
  async waitingOnProcessors(limit: number): Promise<string[]> {
    const rows = await this.repo.find({
      select: { id: true },
      where: { status: 'waiting_on_processors' },
      order: { updatedAt: 'ASC' },
      take: limit,
    });
    return rows.map((r) => r.id);
  }

  /** Completed access requests whose export window closed before `before` and still hold CRM data. */
  async accessExportsToClear(before: Date, limit: number): Promise<string[]> {
    const rows = await this.repo
      .createQueryBuilder('r')
      .select('r.id', 'id')
      .where(`r.type = 'access' AND r.status = 'completed' AND r.payloads_cleared_at IS NULL`)
      .andWhere('r.completed_at < :before', { before })
      .orderBy('r.completed_at')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Forgets what identifies the person in their requests; the requests themselves stay as proof. */
  async forgetSubject(manager: EntityManager, subjectId: string): Promise<string[]> {
    const rows = await this.of(manager).find({ select: { id: true }, where: { subjectId } });
    if (rows.length === 0) return [];
    await this.of(manager).update(
      { subjectId },
      {
        identifierHash: null,
        identifierCiphertext: null,
        identifierKeyId: null,
        verificationNoteCiphertext: null,
        verificationNoteKeyId: null,
        changesCiphertext: null,
        changesKeyId: null,
        // Propagation clears the deliveries' payloads of a forgotten person in the same transaction.
        payloadsClearedAt: () => 'coalesce(payloads_cleared_at, now())',
        updatedAt: new Date(),
      },
    );
    return rows.map((r) => r.id);
  }

  /** Requests of the merged people now belong to the survivor (an open erasure already there keeps its place). */
  async repoint(manager: EntityManager, survivorId: string, mergedIds: readonly string[]): Promise<void> {
    // raw SQL: one statement that skips the rows the one-open-erasure index would refuse.
    await manager.query(
      `UPDATE data_subject_request r SET subject_id = $1, updated_at = now()
        WHERE r.subject_id = ANY($2)
          AND NOT (r.type = 'erasure' AND r.status = ANY($3) AND EXISTS (
                SELECT 1 FROM data_subject_request o
                 WHERE o.subject_id = $1 AND o.type = 'erasure' AND o.status = ANY($3)))`,
      [survivorId, mergedIds, OPEN_STATUSES],
    );
  }

  // --- pauses ---

  pausesOf(requestIds: readonly string[], manager?: EntityManager): Promise<RequestPauseEntity[]> {
    if (requestIds.length === 0) return Promise.resolve([]);
    const repo = manager ? manager.getRepository(RequestPauseEntity) : this.pauses;
    return repo.find({ where: { requestId: In([...requestIds]) }, order: { pausedAt: 'ASC' } });
  }

  async insertPause(manager: EntityManager, values: Partial<RequestPauseEntity>): Promise<void> {
    const repo = manager.getRepository(RequestPauseEntity);
    await repo.save(repo.create(values));
  }

  async closePause(manager: EntityManager, requestId: string, at: Date, by: string): Promise<void> {
    await manager
      .getRepository(RequestPauseEntity)
      .createQueryBuilder()
      .update()
      .set({ resumedAt: at, resumedBy: by })
      .where('request_id = :requestId AND resumed_at IS NULL', { requestId })
      .execute();
  }
}
