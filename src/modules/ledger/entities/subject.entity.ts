import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A person, known only by their identities (subject_identity); erased_at marks a completed erasure, and
 * merged_into the person they were found to be (their identities and states now live there). The flags of
 * their rights: erasure requested (the check answers erased from then on), restricted (Art. 18), objected to
 * direct marketing (Art. 21(3)).
 */
@Entity({ name: 'subject' })
@Index('ix_subject_merged_into', ['mergedInto'], { where: `merged_into IS NOT NULL` })
export class SubjectEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt!: Date | null;

  @Column({ name: 'erasure_requested_at', type: 'timestamptz', nullable: true })
  erasureRequestedAt!: Date | null;

  @Column({ name: 'restricted_at', type: 'timestamptz', nullable: true })
  restrictedAt!: Date | null;

  @Column({ name: 'objected_at', type: 'timestamptz', nullable: true })
  objectedAt!: Date | null;

  @Column({ name: 'merged_into', type: 'uuid', nullable: true })
  mergedInto!: string | null;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'merged_into', foreignKeyConstraintName: 'fk_subject_merged_into' })
  survivor?: SubjectEntity | null;
}
