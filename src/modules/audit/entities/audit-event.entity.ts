import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * One entry of the hash-chained audit log. Append-only in the database itself (trigger
 * audit_event_append_only refuses UPDATE, DELETE and TRUNCATE).
 */
@Entity({ name: 'audit_event' })
@Unique('uq_audit_event_id', ['id'])
@Index('ix_audit_event_at', ['at'])
@Index('ix_audit_event_target', ['target_type', 'target_id'])
@Check('ck_audit_actor', `actor_type IN ('api_key','user','system','anonymous')`)
export class AuditEventEntity {
  /** bigint, read as a string (no precision lost past 2^53). */
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'audit_event_pkey' })
  seq!: string;

  @Column({ type: 'uuid', generated: 'uuid' })
  id!: string;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'text' })
  actor_type!: string;

  @Column({ type: 'text', nullable: true })
  actor_id!: string | null;

  @Column({ type: 'text', nullable: true })
  actor_name!: string | null;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'text', nullable: true })
  target_type!: string | null;

  @Column({ type: 'text', nullable: true })
  target_id!: string | null;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ type: 'text', default: 'success' })
  outcome!: string;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  details!: Record<string, unknown>;

  @Column({ type: 'text' })
  prev_hash!: string;

  @Column({ type: 'text' })
  hash!: string;
}
