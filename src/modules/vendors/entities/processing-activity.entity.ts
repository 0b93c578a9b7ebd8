import { Check, Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { Transfer } from '../registry.types';

/** One entry of the Art. 30(1) record of processing activities. */
@Entity({ name: 'processing_activity' })
@Unique('uq_processing_activity_name', ['name'])
@Check(
  'ck_processing_activity_legal_basis',
  `legal_basis IN ('consent','contract','legal_obligation','vital_interests','public_task','legitimate_interests')`,
)
@Check('ck_processing_activity_transfers', `jsonb_typeof(transfers) = 'array'`)
@Check('ck_processing_activity_status', `status IN ('draft','in_review','approved','deprecated')`)
@Check(
  'ck_processing_activity_interest',
  `legal_basis <> 'legitimate_interests' OR legitimate_interest IS NOT NULL`,
)
export class ProcessingActivityEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'processing_activity_pkey' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  purpose!: string;

  @Column({ type: 'text' })
  legal_basis!: string;

  @Column({ type: 'text', nullable: true })
  legitimate_interest!: string | null;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  data_categories!: string[];

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  data_subjects!: string[];

  @Column({ type: 'jsonb', default: () => `'[]'` })
  transfers!: Transfer[];

  @Column({ type: 'text', nullable: true })
  retention!: string | null;

  @Column({ type: 'text', nullable: true })
  security_measures!: string | null;

  @Column({ type: 'boolean', default: false })
  dpia_required!: boolean;

  @Column({ type: 'text', nullable: true })
  dpia_reference!: string | null;

  @Column({ type: 'text', nullable: true })
  controller_contact!: string | null;

  @Column({ type: 'text', default: 'draft' })
  status!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  created_at!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updated_at!: Date;
}
