import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { IdentityKind } from '../ledger.types';
import { SubjectEntity } from './subject.entity';

/** One identifier of a person: encrypted at rest (value_ciphertext), found by its blind index (value_hash). */
@Entity({ name: 'subject_identity' })
@Unique('uq_subject_identity_kind_hash', ['kind', 'valueHash'])
@Index('ix_subject_identity_subject', ['subjectId'])
@Check(
  'ck_subject_identity_kind',
  `kind IN ('phone','wa_id','wa_user_id','wa_parent_user_id','email','hubspot_id','salesforce_id')`,
)
export class SubjectIdentityEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId!: string;

  @ManyToOne(() => SubjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subject_id', foreignKeyConstraintName: 'fk_subject_identity_subject' })
  subject?: SubjectEntity;

  @Column({ type: 'text' })
  kind!: IdentityKind;

  @Column({ name: 'value_hash', type: 'bytea' })
  valueHash!: Buffer;

  @Column({ name: 'value_ciphertext', type: 'bytea', nullable: true })
  valueCiphertext!: Buffer | null;

  @Column({ name: 'key_id', type: 'text', nullable: true })
  keyId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
