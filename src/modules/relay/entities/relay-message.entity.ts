import { Check, Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { InboxEntity } from '../../inbox/entities/inbox.entity';

/**
 * The relay's own copy of one WhatsApp delivery (migration 1767002000000): Meta's raw bytes sealed (its own
 * place, so the inbox's retention and erasure of its copy and the relay's are separate decisions) and Meta's
 * signature, kept until every destination has it or gave up, then the body goes.
 */
@Entity({ name: 'relay_message' })
@Check('ck_relay_message_body_key', `(body IS NULL) = (key_id IS NULL)`)
export class RelayMessageEntity {
  @PrimaryColumn({ name: 'inbox_id', type: 'uuid', primaryKeyConstraintName: 'pk_relay_message' })
  inboxId!: string;

  /** SHA-256 of the raw body (the inbox's delivery id): X-Consent-Gateway-Delivery. */
  @Column({ name: 'delivery_id', type: 'text' })
  deliveryId!: string;

  @Column({ type: 'bytea', nullable: true })
  body!: Buffer | null;

  @Column({ name: 'key_id', type: 'text', nullable: true })
  keyId!: string | null;

  /** Meta's X-Hub-Signature-256 as received. */
  @Column({ type: 'text', nullable: true })
  signature!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  // Relations only describe the foreign keys; the code reads and writes the id columns.
  @OneToOne(() => InboxEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'inbox_id', foreignKeyConstraintName: 'fk_relay_message_inbox' })
  inbox?: InboxEntity;
}
