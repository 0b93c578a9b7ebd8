import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ConnectionEntity } from '../../connectors/entities/connection.entity';
import { ConsentEventEntity } from '../../ledger/entities/consent-event.entity';
import { SubjectEntity } from '../../ledger/entities/subject.entity';
import type { DeliveryOperation, DeliveryStatus } from '../propagation.constants';

/**
 * One change owed to one connection: the proof that it reached the processor, or why it could not.
 * As migrations 1764500000000 (table) and 1764600000000 (flags, ix_delivery_held) create it.
 */
@Entity({ name: 'delivery' })
@Check(
  'ck_delivery_operation',
  `operation IN ('consent_update','erasure','restriction','rectification','access_export')`,
)
@Check('ck_delivery_status', `status IN ('pending','in_progress','succeeded','retrying','dead','skipped')`)
// One open delivery per person, connection and operation: later changes coalesce into it.
@Index('uq_delivery_open', ['connectionId', 'subjectId', 'operation'], {
  unique: true,
  where: `status IN ('pending','retrying')`,
})
@Index('ix_delivery_due', ['connectionId', 'nextAttemptAt'], { where: `status IN ('pending','retrying')` })
@Index('ix_delivery_in_progress', ['connectionId'], { where: `status = 'in_progress'` })
@Index('ix_delivery_subject', ['subjectId', 'createdAt'])
@Index('ix_delivery_connection_status', ['connectionId', 'status', 'createdAt'])
@Index('ix_delivery_held', ['connectionId', 'subjectId', 'operation'], {
  where: `status = 'skipped' AND reason = 'dpa_missing'`,
})
export class DeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId!: string;

  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId!: string;

  @Column({ type: 'text' })
  operation!: DeliveryOperation;

  @Column({ name: 'trigger_event_id', type: 'uuid', nullable: true })
  triggerEventId!: string | null;

  @Column({ type: 'text', default: () => `'pending'` })
  status!: DeliveryStatus;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'last_error_class', type: 'text', nullable: true })
  lastErrorClass!: string | null;

  @Column({ name: 'vendor_reference', type: 'text', nullable: true })
  vendorReference!: string | null;

  @Column({ type: 'integer', default: 0 })
  coalesced!: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** e.g. dpa_missing: a withdrawal sent to a vendor without a valid DPA. */
  @Column({ type: 'text', array: true, default: () => `'{}'` })
  flags!: string[];

  // Relations only describe the foreign keys (the schema test compares them with the migrations); the code
  // reads and writes the id columns.
  @ManyToOne(() => ConnectionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'connection_id', foreignKeyConstraintName: 'fk_delivery_connection' })
  connection?: ConnectionEntity;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'subject_id', foreignKeyConstraintName: 'fk_delivery_subject' })
  subject?: SubjectEntity;

  @ManyToOne(() => ConsentEventEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'trigger_event_id', foreignKeyConstraintName: 'fk_delivery_event' })
  triggerEvent?: ConsentEventEntity;
}
