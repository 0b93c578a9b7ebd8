import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ConsoleUserEntity } from './entities/console-user.entity';
import type { Role } from './roles';

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
   * raw SQL: counts the failure and locks the account in one atomic statement, so concurrent wrong
   * passwords cannot slip past the limit. Returns the attempts counted so far.
   */
  async recordFailedLogin(id: string, maxAttempts: number, lockoutSeconds: number): Promise<number> {
    const [rows]: [{ failed_attempts: number }[], number] = await this.repo.query(
      `UPDATE console_user SET failed_attempts = failed_attempts + 1,
              locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
        WHERE id = $1 RETURNING failed_attempts`,
      [id, maxAttempts, lockoutSeconds],
    );
    return rows[0]?.failed_attempts ?? 0;
  }

  async recordLogin(id: string): Promise<void> {
    await this.repo.update(id, { failed_attempts: 0, locked_until: null, last_login_at: () => 'now()' });
  }

  /** Disabling keeps the first date it was disabled on. */
  async setDisabled(id: string, disabled: boolean): Promise<void> {
    await this.repo.update(id, {
      disabled_at: disabled ? () => 'coalesce(disabled_at, now())' : null,
      updated_at: () => 'now()',
    });
  }
}
