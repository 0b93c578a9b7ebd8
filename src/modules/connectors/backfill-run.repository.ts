import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { BackfillRunEntity } from './entities/backfill-run.entity';
import { scrubbedText } from '../../platform/logging/personal-data-scrubber';

/** The backfill_run table. */
@Injectable()
export class BackfillRunRepository {
  constructor(@InjectRepository(BackfillRunEntity) private readonly repo: Repository<BackfillRunEntity>) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(work);
  }

  find(id: string): Promise<BackfillRunEntity | null> {
    return this.repo.findOneBy({ id });
  }

  running(manager: EntityManager | undefined, connectionId: string): Promise<BackfillRunEntity | null> {
    const runs = manager ? manager.getRepository(BackfillRunEntity) : this.repo;
    return runs.findOneBy({ connectionId, status: 'running' });
  }

  async start(manager: EntityManager, connectionId: string): Promise<BackfillRunEntity> {
    const runs = manager.getRepository(BackfillRunEntity);
    const { identifiers } = await runs.insert({ connectionId });
    return runs.findOneByOrFail({ id: (identifiers[0] as { id: string }).id });
  }

  latest(connectionId: string): Promise<BackfillRunEntity | null> {
    return this.repo.findOne({ where: { connectionId }, order: { startedAt: 'DESC' } });
  }

  async recordTotal(id: string, total: number): Promise<void> {
    await this.repo.update(id, { contactsTotal: total, updatedAt: () => 'now()' });
  }

  async recordError(id: string, message: string): Promise<void> {
    await this.repo.update(id, { lastError: scrubbedText(message, 1000), updatedAt: () => 'now()' });
  }

  async markFailed(id: string, message: string): Promise<void> {
    await this.repo.update(
      { id, status: 'running' },
      {
        status: 'failed',
        lastError: scrubbedText(message, 1000),
        updatedAt: () => 'now()',
        completedAt: () => 'now()',
      },
    );
  }

  /**
   * raw SQL: counters move by increments and the run completes with its last page, in one statement of the
   * page's transaction (a crash resumes at the saved cursor).
   */
  async pageImported(
    manager: EntityManager,
    id: string,
    page: { next: string | null; contacts: number; recorded: number },
  ): Promise<void> {
    await manager.query(
      `UPDATE backfill_run SET cursor = $2, pages = pages + 1, contacts_seen = contacts_seen + $3,
              events_recorded = events_recorded + $4, updated_at = now(),
              status = CASE WHEN $2::text IS NULL THEN 'completed' ELSE status END,
              completed_at = CASE WHEN $2::text IS NULL THEN now() ELSE NULL END
        WHERE id = $1`,
      [id, page.next, page.contacts, page.recorded],
    );
  }
}
