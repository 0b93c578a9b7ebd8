import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { SubjectEntity } from '../../ledger/entities/subject.entity';
import { ConnectionEntity } from './connection.entity';

/**
 * A remote record that stands for a person at a connection; a person may have several (duplicates, a Salesforce
 * Contact and Lead). The remote id is an identifier: encrypted, and found by its blind index (remote_id_hash).
 * Migrations 1764500000000, 1765000000000.
 */
@Entity({ name: 'connection_record' })
@Index('ix_connection_record_subject', ['connectionId', 'subjectId'])
export class ConnectionRecordEntity {
  @PrimaryColumn({ name: 'connection_id', type: 'uuid', primaryKeyConstraintName: 'pk_connection_record' })
  connectionId!: string;

  @PrimaryColumn({ name: 'remote_id_hash', type: 'bytea', primaryKeyConstraintName: 'pk_connection_record' })
  remoteIdHash!: Buffer;

  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId!: string;

  /** 'contact' (HubSpot), 'Contact' or 'Lead' (Salesforce); 'record' for links made before it was kept. */
  @Column({ name: 'record_type', type: 'text' })
  recordType!: string;

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
