import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * One entry of the hash-chained audit log. Written unchained (no place, no hashes); the chainer then gives
 * it its place and keyed hash. Append-only in the database itself: the trigger refuses DELETE, TRUNCATE and
 * every UPDATE but that one (see migration 1767000500000).
 */
@Entity({ name: 'audit_event' })
@Unique('uq_audit_event_id', ['id'])
@Index('ix_audit_event_at', ['at'])
@Index('ix_audit_event_target', ['target_type', 'target_id'])
@Index('uq_audit_event_chain_seq', ['chain_seq'], { unique: true })
@Index('ix_audit_event_unchained', ['seq'], { where: 'chain_seq IS NULL' })
@Index('ix_audit_event_not_success', ['seq'], { where: `outcome <> 'success'` })
@Check(
  'ck_audit_event_chained',
  `(chain_seq IS NULL AND prev_hash IS NULL AND hash IS NULL) OR (chain_seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL)`,
)
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

  /** The entry's place in the chain; null until the chainer reaches it. */
  @Column({ type: 'bigint', nullable: true })
  chain_seq!: string | null;

  @Column({ type: 'text', nullable: true })
  prev_hash!: string | null;

  @Column({ type: 'text', nullable: true })
  hash!: string | null;
}
