import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { RelayConsent } from '../relay-consent';
import { RelayMessageEntity } from './relay-message.entity';

export type RelayDeliveryStatus = 'pending' | 'delivered' | 'dead' | 'erased';

/**
 * One WhatsApp delivery owed to one destination (migration 1767002000000), and its delivery log. `seq` orders a
 * sender's deliveries per destination; nothing personal is kept here (the sender is a blind index).
 */
@Entity({ name: 'relay_delivery' })
@Unique('uq_relay_delivery_message_destination', ['inboxId', 'destination'])
@Check('ck_relay_delivery_status', `status IN ('pending','delivered','dead','erased')`)
@Check('ck_relay_delivery_consent', `consent IN ('withdrawn','granted','none')`)
@Index('ix_relay_delivery_due', ['nextAttemptAt'], { where: `status = 'pending'` })
@Index('ix_relay_delivery_sender_open', ['destination', 'senderKey', 'seq'], { where: `status = 'pending'` })
@Index('ix_relay_delivery_list', ['destination', 'status', 'seq'])
export class RelayDeliveryEntity {
  /** bigint, read as a string; the order deliveries were recorded in. */
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_relay_delivery' })
  seq!: string;

  @Column({ name: 'inbox_id', type: 'uuid' })
  inboxId!: string;

  /** The destination's key (relay-destinations.ts). */
  @Column({ type: 'text' })
  destination!: string;

  /** Blind index of the counterpart's wa_id (hex), null when the delivery names none. */
  @Column({ name: 'sender_key', type: 'text', nullable: true })
  senderKey!: string | null;

  @Column({ type: 'text' })
  consent!: RelayConsent;

  /** When Meta's delivery was received: the retry horizon counts from here, and the lag. */
  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  @Column({ type: 'text', default: 'pending' })
  status!: RelayDeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt!: Date;

  /** The receiver's HTTP status at the last attempt (null: no answer). */
  @Column({ name: 'last_status', type: 'integer', nullable: true })
  lastStatus!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @Column({ name: 'dead_at', type: 'timestamptz', nullable: true })
  deadAt!: Date | null;

  @ManyToOne(() => RelayMessageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'inbox_id', foreignKeyConstraintName: 'fk_relay_delivery_message' })
  message?: RelayMessageEntity;
}
