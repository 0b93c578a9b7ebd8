import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A person, known only by their identities (subject_identity); erased_at marks a completed erasure. */
@Entity({ name: 'subject' })
export class SubjectEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt!: Date | null;
}
