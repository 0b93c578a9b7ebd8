import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { UserRow } from './console-user.repository';
import { ConsoleSessionEntity } from './entities/console-session.entity';

/** The console_session table. */
@Injectable()
export class ConsoleSessionRepository {
  constructor(
    @InjectRepository(ConsoleSessionEntity) private readonly repo: Repository<ConsoleSessionEntity>,
  ) {}

  /** raw SQL: the expiry is computed on the database clock, like every other session time. */
  async insert(
    session: Pick<ConsoleSessionEntity, 'token_hash' | 'user_id' | 'csrf_token' | 'ip' | 'user_agent'>,
    ttlSeconds: number,
  ): Promise<void> {
    await this.repo.query(
      `INSERT INTO console_session (token_hash, user_id, csrf_token, ip, user_agent, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
      [session.token_hash, session.user_id, session.csrf_token, session.ip, session.user_agent, ttlSeconds],
    );
  }

  /**
   * raw SQL: on every console request; one round trip checks expiry and idleness, touches the session
   * and reads its user.
   */
  async touchLive(
    tokenHash: Buffer,
    idleSeconds: number,
  ): Promise<(UserRow & { csrf_token: string }) | null> {
    const [rows]: [(UserRow & { csrf_token: string })[], number] = await this.repo.query(
      `UPDATE console_session s SET last_seen_at = now()
         FROM console_user u
        WHERE s.token_hash = $1 AND u.id = s.user_id AND u.disabled_at IS NULL
          AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => $2)
        RETURNING u.*, s.csrf_token`,
      [tokenHash, idleSeconds],
    );
    return rows[0] ?? null;
  }

  async delete(tokenHash: Buffer): Promise<void> {
    await this.repo.delete({ token_hash: tokenHash });
  }

  async deleteOfUser(userId: string): Promise<void> {
    await this.repo.delete({ user_id: userId });
  }
}
