import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { SubjectEntity } from './subject.entity';

/**
 * A person's own data key (crypto-shredding): their identities and sealed evidence are sealed under it, and
 * erasure deletes this row, so copies of those ciphertexts (dead tuples, WAL, replicas, backups) can no longer
 * be opened. The key is stored wrapped (sealed) by the master key that key_id names, so master keys still rotate.
 */
@Entity({ name: 'subject_key' })
export class SubjectKeyEntity {
  @PrimaryColumn({ name: 'subject_id', type: 'uuid', primaryKeyConstraintName: 'pk_subject_key' })
  subjectId!: string;

  @OneToOne(() => SubjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subject_id', foreignKeyConstraintName: 'fk_subject_key_subject' })
  subject?: SubjectEntity;

  @Column({ name: 'wrapped_key', type: 'bytea' })
  wrappedKey!: Buffer;

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
