import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ConsoleUserEntity } from './console-user.entity';

/** A console session: the cookie holds a random token, only its SHA-256 is stored. */
@Entity({ name: 'console_session' })
@Index('ix_console_session_user', ['user_id'])
// The sweep deletes sessions past their absolute end or idle for too long.
@Index('ix_console_session_expires', ['expires_at'])
@Index('ix_console_session_last_seen', ['last_seen_at'])
export class ConsoleSessionEntity {
  @PrimaryColumn({ type: 'bytea', primaryKeyConstraintName: 'console_session_pkey' })
  token_hash!: Buffer;

  @Column({ type: 'uuid' })
  user_id!: string;

  @Column({ type: 'text' })
  csrf_token!: string;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ type: 'text', nullable: true })
  user_agent!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  created_at!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  last_seen_at!: Date;

  @Column({ type: 'timestamptz' })
  expires_at!: Date;

  @ManyToOne(() => ConsoleUserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_console_session_user' })
  user?: ConsoleUserEntity;
}
