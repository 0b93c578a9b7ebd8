import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { SubjectEntity } from '../../ledger/entities/subject.entity';
import { ConnectionEntity } from './connection.entity';

/**
 * Which remote record stands for a person at a connection. The remote id is an identifier: encrypted, and
 * found by its blind index (remote_id_hash).
 */
@Entity({ name: 'connection_record' })
@Unique('uq_connection_record_remote', ['connectionId', 'remoteIdHash'])
export class ConnectionRecordEntity {
  @PrimaryColumn({ name: 'connection_id', type: 'uuid', primaryKeyConstraintName: 'pk_connection_record' })
  connectionId!: string;

  @PrimaryColumn({ name: 'subject_id', type: 'uuid', primaryKeyConstraintName: 'pk_connection_record' })
  subjectId!: string;

  @Column({ name: 'remote_id_hash', type: 'bytea' })
  remoteIdHash!: Buffer;

  @Column({ name: 'remote_id_ciphertext', type: 'bytea' })
  remoteIdCiphertext!: Buffer;

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  @Column({ name: 'last_pushed', type: 'jsonb', nullable: true })
  lastPushed!: Record<string, unknown> | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @ManyToOne(() => ConnectionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id', foreignKeyConstraintName: 'fk_connection_record_connection' })
  connection?: ConnectionEntity;

  @ManyToOne(() => SubjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subject_id', foreignKeyConstraintName: 'fk_connection_record_subject' })
  subject?: SubjectEntity;
}
