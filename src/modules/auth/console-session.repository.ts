import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { UserRow } from './console-user.repository';
import { ConsoleSessionEntity } from './entities/console-session.entity';

/**
 * The console_session table. Times come from the service's clock (one notion of time for sign-in,
 * expiry and the sweep, which specs can move).
 */
@Injectable()
export class ConsoleSessionRepository {
  constructor(
    @InjectRepository(ConsoleSessionEntity) private readonly repo: Repository<ConsoleSessionEntity>,
  ) {}

  async insert(
    session: Pick<
      ConsoleSessionEntity,
      | 'token_hash'
      | 'user_id'
      | 'csrf_token'
      | 'ip'
      | 'user_agent'
      | 'created_at'
      | 'last_seen_at'
      | 'expires_at'
    >,
  ): Promise<void> {
    await this.repo.insert(session);
  }

  /**
   * raw SQL: on every console request; one round trip checks expiry and idleness, touches the session
   * and reads its user.
   */
  async touchLive(
    tokenHash: Buffer,
    now: Date,
    idleSince: Date,
  ): Promise<(UserRow & { csrf_token: string }) | null> {
    const [rows]: [(UserRow & { csrf_token: string })[], number] = await this.repo.query(
      `UPDATE console_session s SET last_seen_at = $2
         FROM console_user u
        WHERE s.token_hash = $1 AND u.id = s.user_id AND u.disabled_at IS NULL
          AND s.expires_at > $2 AND s.last_seen_at > $3
        RETURNING u.*, s.csrf_token`,
      [tokenHash, now, idleSince],
    );
    return rows[0] ?? null;
  }

  async delete(tokenHash: Buffer): Promise<void> {
    await this.repo.delete({ token_hash: tokenHash });
  }

  async deleteOfUser(userId: string): Promise<void> {
    await this.repo.delete({ user_id: userId });
  }

  /** raw SQL: sessions past their absolute end, or unused since `idleSince`, go with their IP and user agent. */
  async deleteEnded(now: Date, idleSince: Date): Promise<number> {
    const [, count]: [unknown, number] = await this.repo.query(
      `DELETE FROM console_session WHERE expires_at <= $1 OR last_seen_at <= $2`,
      [now, idleSince],
    );
    return count;
  }
}
