import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { RequestEventType } from '../event-types';

/**
 * An automation platform's subscription to request events (migration 1766000003000). The Standard Webhooks
 * secret is sealed; it is shown once, when the subscription is created. Deleting disables it.
 */
@Entity({ name: 'event_subscription' })
@Check(
  'ck_event_subscription_events',
  `cardinality(events) > 0 AND events <@ ARRAY['request.created','request.due_soon','request.overdue','request.completed','request.task_reminder']::text[]`,
)
@Index('ix_event_subscription_active', ['createdAt'], { where: `disabled_at IS NULL` })
export class EventSubscriptionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'text', array: true })
  events!: RequestEventType[];

  @Column({ type: 'bytea' })
  secret!: Buffer;

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  /** The API key id or `user:<id>` that created it. */
  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;
}
