import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ConsoleUserEntity } from './entities/console-user.entity';
import { admitAttempt, type AttemptDecision } from './lockout-policy';
import type { Role } from './roles';

const NO_ATTEMPTS = { failed_attempts: 0, failures_since: null, locked_until: null };

/** A console user as the services see it (the entity, its role typed). */
export type UserRow = Omit<ConsoleUserEntity, 'role' | 'updated_at'> & { role: Role; updated_at?: Date };

/** The console_user table. */
@Injectable()
export class ConsoleUserRepository {
  constructor(@InjectRepository(ConsoleUserEntity) private readonly repo: Repository<ConsoleUserEntity>) {}

  async insert(user: Pick<ConsoleUserEntity, 'email' | 'name' | 'role' | 'password_hash'>): Promise<UserRow> {
    const rows = (await this.repo.createQueryBuilder().insert().values(user).returning('*').execute())
      .raw as UserRow[];
    return rows[0];
  }

  async list(): Promise<UserRow[]> {
    return (await this.repo.find({ order: { created_at: 'ASC' } })) as UserRow[];
  }

  count(): Promise<number> {
    return this.repo.count();
  }

  /** Emails are unique regardless of case (the index is on lower(email)). */
  async findByEmail(email: string): Promise<UserRow | null> {
    return (await this.repo
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne()) as UserRow | null;
  }

  async findById(id: string): Promise<UserRow | null> {
    return (await this.repo.findOneBy({ id })) as UserRow | null;
  }

  /**
   * Counts a sign-in attempt before its password is checked, under the user's row lock: concurrent
   * attempts are decided one after the other, each seeing the count the previous ones left. Null when
   * there is no such user.
   */
  async admitSignInAttempt(id: string, now: Date): Promise<AttemptDecision | null> {
    return this.repo.manager.transaction(async (m) => {
      const rows: { failed_attempts: number; failures_since: Date | null; locked_until: Date | null }[] =
        await m.query(
          `SELECT failed_attempts, failures_since, locked_until FROM console_user WHERE id = $1 FOR UPDATE`,
          [id],
        );
      const row = rows[0];
      const decision = admitAttempt(
        row
          ? {
              failedAttempts: row.failed_attempts,
              failuresSince: row.failures_since,
              lockedUntil: row.locked_until,
            }
          : { failedAttempts: 0, failuresSince: null, lockedUntil: null },
        now,
      );
      const { failedAttempts, failuresSince, lockedUntil } = decision.next;
      // Written even when there is no such user (no row changes): the same statements either way, so an
      // unknown email does the same database work as a known one.
      await m.update(ConsoleUserEntity, id, {
        failed_attempts: failedAttempts,
        failures_since: failuresSince,
        locked_until: lockedUntil,
      });
      if (!row) return null;
      return decision;
    });
  }

  /** A checked password was wrong and used the window's last try: locked until `until` (never shortened). */
  async lockUntil(id: string, until: Date): Promise<void> {
    await this.repo
      .createQueryBuilder()
      .update()
      .set({ locked_until: until })
      .where('id = :id AND (locked_until IS NULL OR locked_until < :until)', { id, until })
      .execute();
  }

  /** A successful sign-in: the counted attempts are cleared. */
  async recordLogin(id: string, now: Date): Promise<void> {
    await this.repo.update(id, { ...NO_ATTEMPTS, last_login_at: now });
  }

  /** An admin lifts a lockout: counters cleared as after a successful sign-in. */
  async unlock(id: string): Promise<void> {
    await this.repo.update(id, { ...NO_ATTEMPTS, updated_at: () => 'now()' });
  }

  async setRole(id: string, role: Role): Promise<void> {
    await this.repo.update(id, { role, updated_at: () => 'now()' });
  }

  /** Disabling keeps the first date it was disabled on. */
  async setDisabled(id: string, disabled: boolean): Promise<void> {
    await this.repo.update(id, {
      disabled_at: disabled ? () => 'coalesce(disabled_at, now())' : null,
      updated_at: () => 'now()',
    });
  }
}
