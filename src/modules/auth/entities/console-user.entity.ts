import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A person who signs in to the console; the password is a scrypt hash. */
@Entity({ name: 'console_user' })
// Unique on lower(email): an expression index TypeORM cannot describe, so the migration owns it.
@Index('uq_console_user_email', { synchronize: false })
@Check('ck_console_user_role', `role IN ('admin','crm_admin','dpo','viewer')`)
export class ConsoleUserEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'console_user_pkey' })
  id!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  role!: string;

  @Column({ type: 'text' })
  password_hash!: string;

  @Column({ type: 'integer', default: 0 })
  failed_attempts!: number;

  /** When the current window of counted sign-in attempts began (failures older than it decay). */
  @Column({ type: 'timestamptz', nullable: true })
  failures_since!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  locked_until!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  last_login_at!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  disabled_at!: Date | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  created_at!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updated_at!: Date;
}
