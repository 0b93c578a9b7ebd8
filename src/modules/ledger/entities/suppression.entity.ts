import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { IdentityKind } from '../ledger.types';
import { SubjectEntity } from './subject.entity';

export type SuppressionLiftedReason = 'new_relationship';

/**
 * An identifier of an erased person, by its blind index only: it is not recreated when it comes back through a
 * CRM import or an API call. Lifted (never deleted) when the person starts a new relationship themselves.
 */
@Entity({ name: 'suppression' })
@Index('uq_suppression_active', ['kind', 'valueHash'], { unique: true, where: `lifted_at IS NULL` })
@Index('ix_suppression_subject', ['subjectId'])
@Check(
  'ck_suppression_kind',
  `kind IN ('phone','wa_id','wa_user_id','wa_parent_user_id','email','hubspot_id','salesforce_id')`,
)
@Check('ck_suppression_lifted_reason', `lifted_reason IN ('new_relationship')`)
export class SuppressionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  kind!: IdentityKind;

  @Column({ name: 'value_hash', type: 'bytea' })
  valueHash!: Buffer;

  /** The erased person's skeleton (their pseudonymous events stay as proof). */
  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId!: string;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'subject_id', foreignKeyConstraintName: 'fk_suppression_subject' })
  subject?: SubjectEntity;

  /** The data-subject request that erased them (no FK: requests is a higher module); null for a retention run. */
  @Column({ name: 'request_id', type: 'uuid', nullable: true })
  requestId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'lifted_at', type: 'timestamptz', nullable: true })
  liftedAt!: Date | null;

  @Column({ name: 'lifted_reason', type: 'text', nullable: true })
  liftedReason!: SuppressionLiftedReason | null;
}
