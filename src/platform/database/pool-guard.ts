import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { EventEmitter } from 'node:events';
import type { DataSource } from 'typeorm';

interface PgPool extends EventEmitter {
  _clients?: EventEmitter[];
}

const GUARDED = Symbol('cg.pool-guarded');

/**
 * node-postgres emits `error` on a client whose connection breaks while no query runs on it; a client that
 * was checked out of the pool (by a module holding it across statements) has no listener then, and Node
 * turns the event into an uncaught exception: seen as "terminating connection due to administrator command"
 * and "Connection terminated unexpectedly" when the database restarted. Every client of the gateway's
 * TypeORM pool gets a listener of its own: the broken connection is reported; the query that uses it next
 * fails (a 503 for a request) and the pool discards it.
 */
@Injectable()
export class PoolGuard implements OnModuleInit {
  private readonly logger = new Logger('Database');

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    const pool = (this.dataSource.driver as unknown as { master?: PgPool }).master;
    if (!pool) return;
    const guard = (client: EventEmitter & { [GUARDED]?: true }) => {
      if (client[GUARDED]) return;
      client[GUARDED] = true;
      client.on('error', (error: Error) => this.logger.warn(`database connection lost: ${error.message}`));
    };
    for (const client of pool._clients ?? []) guard(client);
    pool.on('connect', guard);
  }
}
