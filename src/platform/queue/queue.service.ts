import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import PgBoss from 'pg-boss';
import type { PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import { DATABASE_URL } from '../database/database.tokens';
import { isDatabaseUnavailable } from '../database/database-unavailable';
import { observePgBossCompletions } from './pg-boss-completion';

export type JobHandler<T> = (jobs: PgBoss.Job<T>[]) => Promise<void>;

export interface QueueDefinition {
  name: string;
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  expireInSeconds?: number;
  policy?: PgBoss.QueuePolicy;
}

/**
 * pg-boss 10 on the gateway's own PostgreSQL. Jobs can be sent inside a caller's transaction (pass its
 * client), so a job exists exactly when the rows that need it were committed.
 */
@Injectable()
export class QueueService implements OnModuleDestroy {
  private readonly logger = new Logger(QueueService.name);
  readonly boss: PgBoss;
  private started: Promise<void> | null = null;
  private readonly workerIds = new Map<string, string[]>();

  constructor(@Inject(DATABASE_URL) url: string) {
    observePgBossCompletions();
    this.boss = new PgBoss({
      connectionString: url,
      schema: 'pgboss',
      max: 4,
      application_name: 'consent-gateway-queue',
    });
    // Every error of pg-boss (its pool, its workers' fetches, maintenance, completions) arrives here; none
    // stops it: its workers keep polling and resume by themselves when the database is back.
    this.boss.on('error', (error: Error) => {
      if (isDatabaseUnavailable(error)) {
        this.logger.warn({ err: { message: error.message } }, 'queue: the database is unavailable');
      } else {
        this.logger.error({ err: { message: error.message } }, 'queue error');
      }
    });
  }

  /** Starts pg-boss (creating its schema on first use) and the given queues. Idempotent. */
  async start(queues: readonly QueueDefinition[] = []): Promise<void> {
    this.started ??= this.boss.start().then(() => undefined);
    await this.started;
    for (const q of queues) {
      const existing = await this.boss.getQueue(q.name);
      if (!existing) {
        await this.boss.createQueue(q.name, {
          name: q.name,
          retryLimit: q.retryLimit ?? 10,
          retryDelay: q.retryDelay ?? 2,
          retryBackoff: q.retryBackoff ?? true,
          expireInSeconds: q.expireInSeconds ?? 300,
          policy: q.policy ?? 'standard',
        });
      }
    }
  }

  static dbFor(client: PoolClient): PgBoss.Db {
    return { executeSql: (text, values) => client.query(text, values) };
  }

  /** pg-boss's view of a TypeORM transaction, so a job is sent inside it and commits with it. */
  static async dbOf(manager: EntityManager): Promise<PgBoss.Db> {
    if (!manager.queryRunner) throw new Error('dbOf needs an EntityManager inside a transaction');
    const client = (await manager.queryRunner.connect()) as PoolClient;
    return QueueService.dbFor(client);
  }

  async insert<T extends object>(name: string, data: T[], client?: PoolClient): Promise<void> {
    if (data.length === 0) return;
    await this.boss.insert(
      data.map((d) => ({ name, data: d })),
      client ? { db: QueueService.dbFor(client) } : {},
    );
  }

  async send<T extends object>(
    name: string,
    data: T,
    options: PgBoss.SendOptions = {},
  ): Promise<string | null> {
    return this.boss.send(name, data, options);
  }

  async work<T>(
    name: string,
    options: PgBoss.WorkOptions,
    handler: JobHandler<T>,
    workers = 1,
  ): Promise<void> {
    const ids: string[] = [];
    for (let i = 0; i < workers; i++) {
      let id = '';
      // pg-boss 10 sleeps a full polling interval after every fetch unless notified; a worker that just
      // got jobs fetches again at once, so a backlog drains at full speed and idle workers still poll.
      const drainingHandler: JobHandler<T> = async (jobs) => {
        try {
          await handler(jobs);
        } finally {
          if (jobs.length) this.boss.notifyWorker(id);
        }
      };
      id = await this.boss.work<T>(name, options, drainingHandler);
      ids.push(id);
    }
    this.workerIds.set(name, [...(this.workerIds.get(name) ?? []), ...ids]);
  }

  /** Wakes this process's workers of a queue now instead of at their next poll. */
  wake(name: string): void {
    for (const id of this.workerIds.get(name) ?? []) this.boss.notifyWorker(id);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.started) {
      await this.started.catch(() => undefined);
      await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    }
  }
}
