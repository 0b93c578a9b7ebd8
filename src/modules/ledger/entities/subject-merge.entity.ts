import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { SubjectEntity } from './subject.entity';

/** Why two people were found to be one. */
export const MERGE_REASONS = ['crm_record_joined_identifiers'] as const;
export type MergeReason = (typeof MERGE_REASONS)[number];

/**
 * One person absorbed into another (the survivor), with the non-personal evidence of why. Append-only: the
 * migration's triggers (trg_subject_merge_append_only, trg_subject_merge_no_truncate) refuse UPDATE, DELETE
 * and TRUNCATE; TypeORM has no metadata for triggers, so they live in the migration only.
 */
@Entity({ name: 'subject_merge' })
@Unique('uq_subject_merge_merged', ['mergedId'])
@Index('ix_subject_merge_survivor', ['survivorId'])
@Check('ck_subject_merge_reason', `reason IN ('crm_record_joined_identifiers')`)
export class SubjectMergeEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'survivor_id', type: 'uuid' })
  survivorId!: string;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'survivor_id', foreignKeyConstraintName: 'fk_subject_merge_survivor' })
  survivor?: SubjectEntity;

  @Column({ name: 'merged_id', type: 'uuid' })
  mergedId!: string;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'merged_id', foreignKeyConstraintName: 'fk_subject_merge_merged' })
  merged?: SubjectEntity;

  @Column({ type: 'text' })
  reason!: MergeReason;

  /** Where the join was seen (source, connection, record type): never an identifier's value. */
  @Column({ type: 'jsonb', default: {} })
  evidence!: Record<string, string | number | boolean | null>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
