import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ConnectionEntity } from '../../connectors/entities/connection.entity';
import { VendorEntity } from '../../vendors/entities/vendor.entity';
import type { RequestOperation, TaskReason, TaskStatus } from '../requests.types';
import { DataSubjectRequestEntity } from './data-subject-request.entity';

/**
 * A processor the gateway cannot reach by API for a request (a registry recipient without a connection, or a
 * delivery that ended dead): the DPO does it by hand and completes the task with evidence. The evidence is sealed
 * (it may name the person) and cleared when the person is forgotten; its SHA-256 stays as proof.
 */
@Entity({ name: 'request_task' })
@Index('ix_request_task_request', ['requestId'])
@Index('ix_request_task_reminder', ['nextReminderAt'], { where: `status = 'open'` })
@Index('uq_request_task_delivery', ['deliveryId'], { unique: true, where: `delivery_id IS NOT NULL` })
@Index('uq_request_task_vendor', ['requestId', 'vendorId'], {
  unique: true,
  where: `reason = 'no_api_connection'`,
})
@Check('ck_request_task_operation', `operation IN ('erasure','restriction','rectification','access_export')`)
@Check('ck_request_task_reason', `reason IN ('no_api_connection','delivery_dead')`)
@Check('ck_request_task_status', `status IN ('open','done')`)
@Check('ck_request_task_done', `status = 'open' OR completed_at IS NOT NULL`)
export class RequestTaskEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'request_id', type: 'uuid' })
  requestId!: string;

  @ManyToOne(() => DataSubjectRequestEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'request_id', foreignKeyConstraintName: 'fk_request_task_request' })
  request?: DataSubjectRequestEntity;

  @Column({ type: 'text' })
  operation!: RequestOperation;

  @Column({ type: 'text' })
  reason!: TaskReason;

  @Column({ name: 'vendor_id', type: 'uuid', nullable: true })
  vendorId!: string | null;

  @ManyToOne(() => VendorEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'vendor_id', foreignKeyConstraintName: 'fk_request_task_vendor' })
  vendor?: VendorEntity | null;

  @Column({ name: 'connection_id', type: 'uuid', nullable: true })
  connectionId!: string | null;

  @ManyToOne(() => ConnectionEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'connection_id', foreignKeyConstraintName: 'fk_request_task_connection' })
  connection?: ConnectionEntity | null;

  /** The dead delivery the task stands in for (no foreign key: deliveries are propagation's proof rows). */
  @Column({ name: 'delivery_id', type: 'uuid', nullable: true })
  deliveryId!: string | null;

  /** The processor's name when the task was made (the proof reads the same if the vendor is renamed). */
  @Column({ name: 'processor_name', type: 'text' })
  processorName!: string;

  @Column({ type: 'text', default: () => `'open'` })
  status!: TaskStatus;

  @Column({ name: 'evidence_ciphertext', type: 'bytea', nullable: true })
  evidenceCiphertext!: Buffer | null;

  @Column({ name: 'evidence_key_id', type: 'text', nullable: true })
  evidenceKeyId!: string | null;

  @Column({ name: 'evidence_sha256', type: 'text', nullable: true })
  evidenceSha256!: string | null;

  /** The processor's ticket or confirmation number. */
  @Column({ type: 'text', nullable: true })
  reference!: string | null;

  @Column({ name: 'completed_by', type: 'text', nullable: true })
  completedBy!: string | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @Column({ name: 'reminders_sent', type: 'integer', default: 0 })
  remindersSent!: number;

  @Column({ name: 'next_reminder_at', type: 'timestamptz', nullable: true })
  nextReminderAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
