import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { ConsentStatus } from '../ledger.types';
import { ConsentEventEntity } from './consent-event.entity';
import { SubjectEntity } from './subject.entity';

/** The projection: a person's current status per (purpose, channel, scope), and the event that set it. */
@Entity({ name: 'consent_state' })
@Check('ck_consent_state_status', `status IN ('granted','withdrawn')`)
export class ConsentStateEntity {
  @PrimaryColumn({ name: 'subject_id', type: 'uuid', primaryKeyConstraintName: 'pk_consent_state' })
  subjectId!: string;

  @ManyToOne(() => SubjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subject_id', foreignKeyConstraintName: 'fk_consent_state_subject' })
  subject?: SubjectEntity;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_consent_state' })
  purpose!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_consent_state' })
  channel!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_consent_state' })
  scope!: string;

  @Column({ type: 'text' })
  status!: ConsentStatus;

  @Column({ name: 'captured_at', type: 'timestamptz' })
  capturedAt!: Date;

  @Column({ type: 'text' })
  source!: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @ManyToOne(() => ConsentEventEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'event_id', foreignKeyConstraintName: 'fk_consent_state_event' })
  event?: ConsentEventEntity;

  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
