import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SubjectEntity } from '../../ledger/entities/subject.entity';
import type { EventOutboxStatus, RequestEventType } from '../event-types';
import { EventSubscriptionEntity } from './event-subscription.entity';

/**
 * One request event owed to one subscription, and its delivery log (migration 1766000003000). `payload` holds
 * only non-personal facts; the person's contact is sealed beside it until delivered, given up or forgotten.
 */
@Entity({ name: 'event_outbox' })
@Check(
  'ck_event_outbox_type',
  `type IN ('request.created','request.due_soon','request.overdue','request.completed','request.task_reminder')`,
)
@Check('ck_event_outbox_status', `status IN ('pending','retrying','delivered','failed')`)
@Check('ck_event_outbox_contact_key', `(sealed_contact IS NULL) = (contact_key_id IS NULL)`)
@Index('ix_event_outbox_due', ['nextAttemptAt'], { where: `status IN ('pending','retrying')` })
@Index('ix_event_outbox_subscription', ['subscriptionId', 'createdAt'])
@Index('ix_event_outbox_contact', ['subjectId'], { where: `sealed_contact IS NOT NULL` })
export class EventOutboxEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'subscription_id', type: 'uuid' })
  subscriptionId!: string;

  @Column({ type: 'text' })
  type!: RequestEventType;

  @Column({ name: 'request_id', type: 'uuid' })
  requestId!: string;

  @Column({ name: 'subject_id', type: 'uuid', nullable: true })
  subjectId!: string | null;

  /** `{ type, timestamp, data: { request_id, type, status, due_at, subject_id } }`, the body without contact. */
  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ name: 'sealed_contact', type: 'bytea', nullable: true })
  sealedContact!: Buffer | null;

  @Column({ name: 'contact_key_id', type: 'text', nullable: true })
  contactKeyId!: string | null;

  @Column({ type: 'text', default: 'pending' })
  status!: EventOutboxStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  /** The receiver's HTTP status at the last attempt (null: no answer). */
  @Column({ name: 'last_status', type: 'integer', nullable: true })
  lastStatus!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @Column({ name: 'given_up_at', type: 'timestamptz', nullable: true })
  givenUpAt!: Date | null;

  // Relations only describe the foreign keys; the code reads and writes the id columns.
  @ManyToOne(() => EventSubscriptionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'subscription_id', foreignKeyConstraintName: 'fk_event_outbox_subscription' })
  subscription?: EventSubscriptionEntity;

  @ManyToOne(() => SubjectEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'subject_id', foreignKeyConstraintName: 'fk_event_outbox_subject' })
  subject?: SubjectEntity;
}
