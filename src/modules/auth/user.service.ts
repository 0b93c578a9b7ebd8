import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, NotFoundError, RequestValidationError } from '../../platform/http/problem';
import { hashPassword, validatePasswordStrength } from './password';
import { isRole, type Role } from './roles';

export class UserExistsError extends AppError {
  readonly status = 409;
  readonly code = 'user_exists';
}

export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  failed_attempts: number;
  locked_until: Date | null;
  last_login_at: Date | null;
  disabled_at: Date | null;
  created_at: Date;
}

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
  constructor(private readonly dataSource: DataSource) {}

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
    const existing: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM console_user WHERE lower(email) = $1`,
      [email],
    );
    if (existing.length)
      throw new UserExistsError(`A user with email ${email} exists`, [
        { field: 'email', message: 'is taken' },
      ]);
    const rows: UserRow[] = await this.dataSource.query(
      `INSERT INTO console_user (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING *`,
      [email, input.name.trim(), input.role, await hashPassword(input.password)],
    );
    return userView(rows[0]);
  }

  async list() {
    const rows: UserRow[] = await this.dataSource.query(`SELECT * FROM console_user ORDER BY created_at`);
    return rows.map(userView);
  }

  async count(): Promise<number> {
    const rows: { n: string }[] = await this.dataSource.query(`SELECT count(*) AS n FROM console_user`);
    return Number(rows[0].n);
  }

  async byEmail(email: string): Promise<UserRow | null> {
    const rows: UserRow[] = await this.dataSource.query(
      `SELECT * FROM console_user WHERE lower(email) = lower($1)`,
      [email.trim()],
    );
    return rows[0] ?? null;
  }

  async byId(id: string): Promise<UserRow> {
    const rows: UserRow[] = await this.dataSource.query(`SELECT * FROM console_user WHERE id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError(`No user ${id}`);
    return rows[0];
  }

  async setDisabled(id: string, disabled: boolean) {
    await this.byId(id);
    await this.dataSource.query(
      `UPDATE console_user SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) ELSE NULL END, updated_at = now() WHERE id = $1`,
      [id, disabled],
    );
    if (disabled) await this.dataSource.query(`DELETE FROM console_session WHERE user_id = $1`, [id]);
    return userView(await this.byId(id));
  }
}
