import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { Transfer } from '../registry.types';

/** A processor (or controller) personal data goes to: the registry's facts about it (Art. 28, 30, 44-49). */
@Entity({ name: 'vendor' })
@Unique('uq_vendor_name', ['name'])
@Index('ix_vendor_next_review', ['next_review_at'], { where: 'next_review_at IS NOT NULL' })
@Check('ck_vendor_country', `country ~ '^[A-Z]{2}$'`)
@Check('ck_vendor_role', `role IN ('processor','sub_processor','controller','joint_controller')`)
@Check('ck_vendor_transfers', `jsonb_typeof(transfers) = 'array'`)
@Check('ck_vendor_risk_tier', `risk_tier IN ('low','medium','high')`)
export class VendorEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'vendor_pkey' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  created_at!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updated_at!: Date;

  @Column({ type: 'text', nullable: true })
  legal_name!: string | null;

  @Column({ type: 'text', nullable: true })
  country!: string | null;

  @Column({ type: 'text', nullable: true })
  website!: string | null;

  @Column({ type: 'text', nullable: true })
  privacy_contact_email!: string | null;

  @Column({ type: 'text', nullable: true })
  role!: string | null;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  services!: string[];

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  data_categories!: string[];

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  data_subject_categories!: string[];

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  purposes!: string[];

  @Column({ type: 'jsonb', default: () => `'[]'` })
  transfers!: Transfer[];

  @Column({ type: 'text', nullable: true })
  risk_tier!: string | null;

  @Column({ type: 'text', nullable: true })
  owner!: string | null;

  /** A calendar day, read as YYYY-MM-DD text so no time zone shifts it. */
  @Column({ type: 'date', nullable: true })
  next_review_at!: string | null;

  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  /** Set when the vendor is no longer used: hidden from the registry by default, never deleted. */
  @Column({ type: 'timestamptz', nullable: true })
  archived_at!: Date | null;
}
