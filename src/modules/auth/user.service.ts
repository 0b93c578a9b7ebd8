import { Injectable } from '@nestjs/common';
import { NotFoundError, RequestValidationError } from '../../platform/http/problem';
import { UserExistsError } from './auth.errors';
import { ConsoleSessionRepository } from './console-session.repository';
import { ConsoleUserRepository, type UserRow } from './console-user.repository';
import { hashPassword, validatePasswordStrength } from './password';
import { isRole } from './roles';

export type { UserRow };

export function userView(row: UserRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    last_login_at: row.last_login_at ? new Date(row.last_login_at).toISOString() : null,
    locked_until:
      row.locked_until && new Date(row.locked_until) > new Date()
        ? new Date(row.locked_until).toISOString()
        : null,
    disabled: row.disabled_at !== null,
    created_at: new Date(row.created_at).toISOString(),
  };
}

/** Console users: CRM admins, DPOs, viewers and admins. Passwords are scrypt hashes. */
@Injectable()
export class UserService {
  constructor(
    private readonly users: ConsoleUserRepository,
    private readonly sessions: ConsoleSessionRepository,
  ) {}

  async create(input: { email: string; name: string; role: string; password: string }) {
    const problems = [];
    const email = input.email.trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254)
      problems.push({ field: 'email', message: 'must be an email address' });
    if (!input.name.trim() || input.name.length > 120)
      problems.push({ field: 'name', message: 'must be 1 to 120 characters' });
    if (!isRole(input.role))
      problems.push({ field: 'role', message: 'must be admin, crm_admin, dpo or viewer' });
    const weak = validatePasswordStrength(input.password);
    if (weak) problems.push({ field: 'password', message: weak });
    if (problems.length) {
      throw new RequestValidationError(
        `Invalid user: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
        problems,
      );
    }
    if (await this.users.findByEmail(email))
      throw new UserExistsError(`A user with email ${email} exists`, [
        { field: 'email', message: 'is taken' },
      ]);
    const row = await this.users.insert({
      email,
      name: input.name.trim(),
      role: input.role,
      password_hash: await hashPassword(input.password),
    });
    return userView(row);
  }

  async list() {
    return (await this.users.list()).map(userView);
  }

  async count(): Promise<number> {
    return this.users.count();
  }

  async byEmail(email: string): Promise<UserRow | null> {
    return this.users.findByEmail(email.trim());
  }

  async byId(id: string): Promise<UserRow> {
    const row = await this.users.findById(id);
    if (!row) throw new NotFoundError(`No user ${id}`);
    return row;
  }

  async setDisabled(id: string, disabled: boolean) {
    await this.byId(id);
    await this.users.setDisabled(id, disabled);
    if (disabled) await this.sessions.deleteOfUser(id);
    return userView(await this.byId(id));
  }
}
