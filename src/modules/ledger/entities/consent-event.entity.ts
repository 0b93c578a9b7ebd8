import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
// The one kind of cross-module import allowed: an entity class, for the FK's metadata.
import { InboxEntity } from '../../inbox/entities/inbox.entity';
import type { ConsentStatus, EventEffect } from '../ledger.types';
import { SubjectEntity } from './subject.entity';

/**
 * One consent change as it was reported, with its evidence. Append-only: the migration's triggers
 * (trg_consent_event_append_only, trg_consent_event_no_truncate, function consent_event_append_only) refuse
 * UPDATE, DELETE and TRUNCATE outside the erasure routine. TypeORM has no metadata for triggers or functions
 * (its schema builder neither creates nor compares them), so they live in the migration only.
 */
@Entity({ name: 'consent_event' })
@Unique('uq_consent_event_source', ['source', 'sourceEventId'])
@Index('ix_consent_event_subject', ['subjectId', 'capturedAt'])
// Events per day by source and status, from the index alone (the console's charts; migration 1767001300000).
@Index('ix_consent_event_recorded', ['recordedAt', 'source', 'status'])
@Check('ck_consent_event_status', `status IN ('granted','withdrawn')`)
@Check('ck_consent_event_effect', `effect IN ('changed','confirmed','stale')`)
export class ConsentEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId!: string;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'subject_id', foreignKeyConstraintName: 'fk_consent_event_subject' })
  subject?: SubjectEntity;

  @Column({ type: 'text' })
  purpose!: string;

  @Column({ type: 'text' })
  channel!: string;

  @Column({ type: 'text' })
  scope!: string;

  @Column({ type: 'text' })
  status!: ConsentStatus;

  @Column({ type: 'text' })
  effect!: EventEffect;

  @Column({ type: 'text' })
  source!: string;

  @Column({ name: 'source_event_id', type: 'text' })
  sourceEventId!: string;

  @Column({ type: 'text' })
  method!: string;

  @Column({ type: 'text' })
  actor!: string;

  @Column({ name: 'captured_at', type: 'timestamptz' })
  capturedAt!: Date;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt!: Date;

  @Column({ name: 'legal_basis', type: 'text', nullable: true })
  legalBasis!: string | null;

  @Column({ name: 'notice_version', type: 'text', nullable: true })
  noticeVersion!: string | null;

  @Column({ name: 'policy_url', type: 'text', nullable: true })
  policyUrl!: string | null;

  @Column({ type: 'text', nullable: true })
  language!: string | null;

  @Column({ name: 'payload_digest', type: 'text', nullable: true })
  payloadDigest!: string | null;

  @Column({ name: 'inbox_id', type: 'uuid', nullable: true })
  inboxId!: string | null;

  @ManyToOne(() => InboxEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'inbox_id', foreignKeyConstraintName: 'fk_consent_event_inbox' })
  inbox?: InboxEntity | null;

  @Column({ type: 'jsonb', default: {} })
  evidence!: Record<string, unknown>;

  @Column({ name: 'sealed_evidence', type: 'bytea', nullable: true })
  sealedEvidence!: Buffer | null;

  @Column({ name: 'key_id', type: 'text', nullable: true })
  keyId!: string | null;
}
