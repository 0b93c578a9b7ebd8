import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { VendorEntity } from './vendor.entity';

/**
 * One version of a vendor's data-processing agreement. Versions are only added; a trigger in the
 * database (dpa_keep_history) keeps a version's facts fixed and refuses deletes.
 */
@Entity({ name: 'dpa' })
@Unique('uq_dpa_vendor_version', ['vendor_id', 'version'])
@Index('ix_dpa_expires', ['expires_at'], { where: `status = 'signed'` })
@Check('ck_dpa_version', `version >= 1`)
@Check('ck_dpa_status', `status IN ('draft','in_negotiation','signed','expired','terminated','not_required')`)
@Check('ck_dpa_clauses', `jsonb_typeof(clauses) = 'object'`)
@Check(
  'ck_dpa_subprocessor_authorization',
  `subprocessor_authorization IN ('specific','general_with_notice')`,
)
@Check('ck_dpa_notice_days', `subprocessor_notice_days >= 0`)
@Check('ck_dpa_breach_hours', `breach_notification_hours > 0`)
@Check('ck_dpa_dsr_days', `dsr_assistance_days > 0`)
@Check('ck_dpa_document_sha256', `document_sha256 ~ '^[0-9a-f]{64}$'`)
@Check(
  'ck_dpa_document_type',
  `document_type IN ('application/pdf','application/vnd.openxmlformats-officedocument.wordprocessingml.document')`,
)
@Check('ck_dpa_document_size', `document_size > 0`)
@Check('ck_dpa_signed_has_date', `status <> 'signed' OR signed_at IS NOT NULL`)
@Check(
  'ck_dpa_expiry_after_start',
  `expires_at IS NULL OR effective_from IS NULL OR expires_at > effective_from`,
)
@Check(
  'ck_dpa_general_notice',
  `subprocessor_authorization IS DISTINCT FROM 'general_with_notice' OR subprocessor_notice_days IS NOT NULL`,
)
export class DpaEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'dpa_pkey' })
  id!: string;

  @Column({ type: 'uuid' })
  vendor_id!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'text' })
  status!: string;

  @Column({ type: 'date', nullable: true })
  signed_at!: string | null;

  @Column({ type: 'date', nullable: true })
  effective_from!: string | null;

  @Column({ type: 'date', nullable: true })
  expires_at!: string | null;

  @Column({ type: 'date', nullable: true })
  review_due_at!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  terminated_at!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  status_changed_at!: Date | null;

  @Column({ type: 'text', nullable: true })
  status_reason!: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  clauses!: Record<string, boolean>;

  @Column({ type: 'text', nullable: true })
  subprocessor_authorization!: string | null;

  @Column({ type: 'integer', nullable: true })
  subprocessor_notice_days!: number | null;

  @Column({ type: 'integer', nullable: true })
  breach_notification_hours!: number | null;

  @Column({ type: 'integer', nullable: true })
  dsr_assistance_days!: number | null;

  @Column({ type: 'text', nullable: true })
  counterparty_signatory!: string | null;

  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Column({ type: 'text', nullable: true })
  document_sha256!: string | null;

  @Column({ type: 'text', nullable: true })
  document_name!: string | null;

  @Column({ type: 'text', nullable: true })
  document_type!: string | null;

  @Column({ type: 'integer', nullable: true })
  document_size!: number | null;

  @Column({ type: 'timestamptz', nullable: true })
  document_uploaded_at!: Date | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  created_at!: Date;

  @Column({ type: 'text', nullable: true })
  created_by!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updated_at!: Date;

  @ManyToOne(() => VendorEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'vendor_id', foreignKeyConstraintName: 'fk_dpa_vendor' })
  vendor?: VendorEntity;
}
