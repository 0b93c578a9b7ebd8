import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { NotFoundError, RequestValidationError } from '../../platform/http/problem';
import { UserExistsError } from './auth.errors';
import { ConsoleSessionRepository } from './console-session.repository';
import { ConsoleUserRepository, type UserRow } from './console-user.repository';
import { hashPassword, validatePasswordStrength } from './password';
import { assertMayGrantRole } from './grant-limits';
import { isRole, type Role } from './roles';
import type { Scope } from '../../platform/http/scopes';

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

/** 20 characters from an alphabet without look-alikes (about 115 bits): read out or typed by hand. */
function temporaryPassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  return Array.from({ length: 20 }, () => alphabet[randomInt(alphabet.length)]).join('');
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
      throw new UserExistsError('A user with this email exists.', [{ field: 'email', message: 'is taken' }]);
    const row = await this.users.insert({
      email,
      name: input.name.trim(),
      role: input.role,
      password_hash: await hashPassword(input.password),
    });
    return userView(row);
  }

  /**
   * A user created through the API: nobody creates a user with a role above their own. Without a password,
   * one is made (the gateway sends no email): returned this once, for the admin to hand over.
   */
  async createAs(
    grantor: readonly Scope[],
    input: { email: string; name: string; role: string; password?: string },
  ) {
    if (isRole(input.role)) assertMayGrantRole(grantor, input.role, 'role');
    if (input.password !== undefined) return this.create({ ...input, password: input.password });
    const temporary = temporaryPassword();
    return { ...(await this.create({ ...input, password: temporary })), temporary_password: temporary };
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

  /**
   * Changes a user's role and/or disables them. Neither the user's current role nor the new one may be
   * above the caller's. Disabling a user ends their sessions at once.
   */
  async updateAs(grantor: readonly Scope[], id: string, change: { disabled?: boolean; role?: Role }) {
    const user = await this.byId(id);
    assertMayGrantRole(grantor, user.role, 'id');
    if (change.role !== undefined) {
      assertMayGrantRole(grantor, change.role, 'role');
      await this.users.setRole(id, change.role);
    }
    if (change.disabled !== undefined) {
      await this.users.setDisabled(id, change.disabled);
      if (change.disabled) await this.sessions.deleteOfUser(id);
    }
    return userView(await this.byId(id));
  }

  /** Lifts a lockout (the sign-in counters start over). */
  async unlock(id: string) {
    await this.byId(id);
    await this.users.unlock(id);
    return userView(await this.byId(id));
  }
}
