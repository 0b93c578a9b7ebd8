import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ConnectionEntity } from '../../connectors/entities/connection.entity';
import { ConsentEventEntity } from '../../ledger/entities/consent-event.entity';
import { SubjectEntity } from '../../ledger/entities/subject.entity';
import type { DeliveryOperation, DeliveryStatus } from '../propagation.constants';

/**
 * One change owed to one connection: the proof that it reached the processor, or why it could not.
 * As migrations 1764500000000 (table), 1764600000000 (flags, ix_delivery_held) and 1766000001000 (data-subject
 * requests: request, sealed payload, evidence, awaiting a processor's confirmation) create it.
 */
@Entity({ name: 'delivery' })
@Check(
  'ck_delivery_operation',
  `operation IN ('consent_update','erasure','restriction','rectification','access_export')`,
)
@Check(
  'ck_delivery_status',
  `status IN ('pending','in_progress','succeeded','retrying','dead','skipped','awaiting_confirmation')`,
)
@Check('ck_delivery_payload_sealed', `(payload_ciphertext IS NULL) = (payload_key_id IS NULL)`)
@Check('ck_delivery_confirmation_due', `status <> 'awaiting_confirmation' OR confirmation_due_at IS NOT NULL`)
// One open delivery per person, connection and operation outside requests: later changes coalesce into it.
@Index('uq_delivery_open', ['connectionId', 'subjectId', 'operation'], {
  unique: true,
  where: `status IN ('pending','retrying') AND request_id IS NULL`,
})
// Each request keeps its own open delivery (its own proof).
@Index('uq_delivery_open_request', ['connectionId', 'subjectId', 'operation', 'requestId'], {
  unique: true,
  where: `status IN ('pending','retrying') AND request_id IS NOT NULL`,
})
@Index('ix_delivery_request', ['requestId', 'createdAt'], { where: `request_id IS NOT NULL` })
@Index('ix_delivery_trigger_event', ['triggerEventId'], { where: `trigger_event_id IS NOT NULL` })
@Index('ix_delivery_awaiting', ['confirmationDueAt'], { where: `status = 'awaiting_confirmation'` })
@Index('ix_delivery_due', ['connectionId', 'nextAttemptAt'], { where: `status IN ('pending','retrying')` })
@Index('ix_delivery_in_progress', ['connectionId'], { where: `status = 'in_progress'` })
@Index('ix_delivery_subject', ['subjectId', 'createdAt'])
@Index('ix_delivery_connection_status', ['connectionId', 'status', 'createdAt'])
@Index('ix_delivery_flagged_dpa_missing', ['connectionId'], { where: `'dpa_missing' = ANY (flags)` })
@Index('ix_delivery_held', ['connectionId', 'subjectId', 'operation'], {
  where: `status = 'skipped' AND reason = 'dpa_missing'`,
})
// The console's reading orders, newest first (migration 1767001300000): all, per connection, per status, request
// operations, flagged.
@Index('ix_delivery_created', ['createdAt', 'id', 'connectionId', 'status', 'attempts'])
@Index('ix_delivery_connection_created', ['connectionId', 'createdAt', 'id'])
@Index('ix_delivery_status_created', ['status', 'createdAt', 'id'])
@Index('ix_delivery_request_ops', ['operation', 'createdAt', 'id'], {
  where: `operation <> 'consent_update'`,
})
@Index('ix_delivery_flagged', ['createdAt', 'id'], { where: `flags <> '{}'` })
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

  /** The data-subject request this delivery serves (no foreign key: requests is a higher module); null otherwise. */
  @Column({ name: 'request_id', type: 'uuid', nullable: true })
  requestId!: string | null;

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

  /**
   * Sealed JSON (RequestPayload): rectified values, remote ids of records that came back, the data a vendor
   * returned for an access request. Cleared once the request completes or the person is forgotten.
   */
  @Column({ name: 'payload_ciphertext', type: 'bytea', nullable: true })
  payloadCiphertext!: Buffer | null;

  @Column({ name: 'payload_key_id', type: 'text', nullable: true })
  payloadKeyId!: string | null;

  /** Non-personal proof of what the processor did (erasure mode used, records affected, confirmation). */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  evidence!: Record<string, unknown>;

  /** While awaiting_confirmation: when it is settled as acknowledged, not confirmed. */
  @Column({ name: 'confirmation_due_at', type: 'timestamptz', nullable: true })
  confirmationDueAt!: Date | null;

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
