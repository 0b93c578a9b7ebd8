import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { ConnectionEntity } from '../../connectors/entities/connection.entity';
import { SubjectEntity } from '../../ledger/entities/subject.entity';
import type {
  RequestIdentifierKind,
  RequestOrigin,
  RequestStatus,
  RequestType,
  StatusReason,
} from '../requests.types';

const OPEN = `'received','identity_verification','in_progress','waiting_on_processors'`;

/**
 * One data-subject request under GDPR Art. 15-21 and its deadline facts. What it was made with is sealed
 * (identifier_ciphertext) and blind-indexed (identifier_hash); the sealed parts are cleared when the person is
 * forgotten. Migration 1766000002000.
 */
@Entity({ name: 'data_subject_request' })
@Unique('uq_data_subject_request_dedupe_key', ['dedupeKeyHash'])
@Index('ix_data_subject_request_received', ['receivedAt', 'id'])
@Index('ix_data_subject_request_subject', ['subjectId'], { where: `subject_id IS NOT NULL` })
@Index('ix_data_subject_request_identifier', ['identifierHash'], { where: `identifier_hash IS NOT NULL` })
@Index('ix_data_subject_request_open_due', ['dueAt'], { where: `status IN (${OPEN})` })
@Index('uq_data_subject_request_open_erasure', ['subjectId'], {
  unique: true,
  where: `type = 'erasure' AND status IN (${OPEN})`,
})
@Check(
  'ck_data_subject_request_type',
  `type IN ('access','erasure','rectification','restriction','objection')`,
)
@Check('ck_data_subject_request_status', `status IN (${OPEN},'completed','denied','cancelled')`)
@Check(
  'ck_data_subject_request_origin',
  `origin IN ('api','console','whatsapp','hubspot_privacy_deletion','salesforce_should_forget','retention')`,
)
@Check('ck_data_subject_request_identifier_kind', `identifier_kind IN ('phone','email','wa_id','subject_id')`)
@Check('ck_data_subject_request_extension_months', `extension_months BETWEEN 0 AND 2`)
export class DataSubjectRequestEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  type!: RequestType;

  @Column({ type: 'text' })
  status!: RequestStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason!: StatusReason | null;

  @Column({ type: 'text' })
  origin!: RequestOrigin;

  /** How it was received as the recorder says (email, letter, phone, web_form): a code, never a value. */
  @Column({ type: 'text', nullable: true })
  source!: string | null;

  /** Blind index of the intake's idempotency key (it may carry a CRM record id). */
  @Column({ name: 'dedupe_key_hash', type: 'bytea', nullable: true })
  dedupeKeyHash!: Buffer | null;

  @Column({ name: 'subject_id', type: 'uuid', nullable: true })
  subjectId!: string | null;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'subject_id', foreignKeyConstraintName: 'fk_data_subject_request_subject' })
  subject?: SubjectEntity | null;

  /** The open request that absorbed this one (a second erasure of the same person). */
  @Column({ name: 'duplicate_of', type: 'uuid', nullable: true })
  duplicateOf!: string | null;

  @ManyToOne(() => DataSubjectRequestEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'duplicate_of', foreignKeyConstraintName: 'fk_data_subject_request_duplicate_of' })
  absorbedBy?: DataSubjectRequestEntity | null;

  @Column({ name: 'origin_connection_id', type: 'uuid', nullable: true })
  originConnectionId!: string | null;

  @ManyToOne(() => ConnectionEntity, { onDelete: 'SET NULL' })
  @JoinColumn({
    name: 'origin_connection_id',
    foreignKeyConstraintName: 'fk_data_subject_request_origin_connection',
  })
  originConnection?: ConnectionEntity | null;

  /** Non-personal facts of the origin (inbox id, record type, keyword language). */
  @Column({ name: 'origin_evidence', type: 'jsonb', default: () => `'{}'` })
  originEvidence!: Record<string, string | number | boolean | null>;

  @Column({ name: 'identifier_kind', type: 'text', nullable: true })
  identifierKind!: RequestIdentifierKind | null;

  @Column({ name: 'identifier_hash', type: 'bytea', nullable: true })
  identifierHash!: Buffer | null;

  @Column({ name: 'identifier_ciphertext', type: 'bytea', nullable: true })
  identifierCiphertext!: Buffer | null;

  @Column({ name: 'identifier_key_id', type: 'text', nullable: true })
  identifierKeyId!: string | null;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  /** One calendar month after receipt, as first set: extensions are only possible before it. */
  @Column({ name: 'original_due_at', type: 'timestamptz' })
  originalDueAt!: Date;

  /** Receipt + 1 + extension months + closed pauses (an open pause is added when read). */
  @Column({ name: 'due_at', type: 'timestamptz' })
  dueAt!: Date;

  /** Set while the clock is stopped (an open request_pause). */
  @Column({ name: 'paused_since', type: 'timestamptz', nullable: true })
  pausedSince!: Date | null;

  @Column({ name: 'extension_months', type: 'integer', default: 0 })
  extensionMonths!: number;

  @Column({ name: 'extension_reason', type: 'text', nullable: true })
  extensionReason!: string | null;

  @Column({ name: 'extension_subject_notified_at', type: 'timestamptz', nullable: true })
  extensionSubjectNotifiedAt!: Date | null;

  @Column({ name: 'extended_at', type: 'timestamptz', nullable: true })
  extendedAt!: Date | null;

  @Column({ name: 'verification_method', type: 'text', nullable: true })
  verificationMethod!: string | null;

  @Column({ name: 'verification_note_ciphertext', type: 'bytea', nullable: true })
  verificationNoteCiphertext!: Buffer | null;

  @Column({ name: 'verification_note_key_id', type: 'text', nullable: true })
  verificationNoteKeyId!: string | null;

  @Column({ name: 'verified_by', type: 'text', nullable: true })
  verifiedBy!: string | null;

  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt!: Date | null;

  /** A restriction request that lifts the restriction. */
  @Column({ type: 'boolean', default: false })
  lift!: boolean;

  /** Rectification: the corrected values, sealed ({ phone?, email? }). */
  @Column({ name: 'changes_ciphertext', type: 'bytea', nullable: true })
  changesCiphertext!: Buffer | null;

  @Column({ name: 'changes_key_id', type: 'text', nullable: true })
  changesKeyId!: string | null;

  /** Which fields a rectification changes (phone, email): the names only. */
  @Column({ name: 'changes_fields', type: 'text', array: true, default: () => `'{}'` })
  changesFields!: string[];

  /** Ledger events the request recorded (an objection's withdrawals). */
  @Column({ name: 'event_ids', type: 'uuid', array: true, default: () => `'{}'` })
  eventIds!: string[];

  @Column({ name: 'denial_reason', type: 'text', nullable: true })
  denialReason!: string | null;

  @Column({ name: 'cancel_reason', type: 'text', nullable: true })
  cancelReason!: string | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** When the request ended, whichever way (completed, denied, cancelled). */
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  /** When the personal values its deliveries carried (rectified identifiers, CRM data read) were cleared. */
  @Column({ name: 'payloads_cleared_at', type: 'timestamptz', nullable: true })
  payloadsClearedAt!: Date | null;

  @Column({ name: 'due_soon_announced_at', type: 'timestamptz', nullable: true })
  dueSoonAnnouncedAt!: Date | null;

  @Column({ name: 'overdue_announced_at', type: 'timestamptz', nullable: true })
  overdueAnnouncedAt!: Date | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
