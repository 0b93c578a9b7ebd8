import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ConnectionEntity } from './connection.entity';

/**
 * A value in a CRM record the gateway could not use ("records we could not match"): a phone that is not a number,
 * a record with no identifier, an unreadable timestamp. Listed per connection so that someone can fix it at the
 * vendor; the value itself is never kept. Cleared when the record is seen again without the problem.
 * Migration 1765000000000.
 */
@Entity({ name: 'connection_unmatched' })
export class ConnectionUnmatchedEntity {
  @PrimaryColumn({ name: 'connection_id', type: 'uuid', primaryKeyConstraintName: 'pk_connection_unmatched' })
  connectionId!: string;

  @PrimaryColumn({
    name: 'remote_id_hash',
    type: 'bytea',
    primaryKeyConstraintName: 'pk_connection_unmatched',
  })
  remoteIdHash!: Buffer;

  /** The record's field ('phone', 'MobilePhone', 'wa_consent_updated_at'), or '*' for the record as a whole. */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_connection_unmatched' })
  field!: string;

  @Column({ name: 'remote_id_ciphertext', type: 'bytea' })
  remoteIdCiphertext!: Buffer;

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  @Column({ name: 'record_type', type: 'text' })
  recordType!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'first_seen_at', type: 'timestamptz', default: () => 'now()' })
  firstSeenAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz', default: () => 'now()' })
  lastSeenAt!: Date;

  @ManyToOne(() => ConnectionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id', foreignKeyConstraintName: 'fk_connection_unmatched_connection' })
  connection?: ConnectionEntity;
}
