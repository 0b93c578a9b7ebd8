import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { VendorEntity } from './vendor.entity';

/** Who a processor engages (Art. 28(2), (4)); a vendor cannot be its own sub-processor. */
@Entity({ name: 'vendor_sub_processor' })
@Index('ix_vendor_sub_processor_sub', ['sub_processor_id'])
@Check('ck_vendor_sub_processor_not_self', `vendor_id <> sub_processor_id`)
export class VendorSubProcessorEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_vendor_sub_processor' })
  vendor_id!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_vendor_sub_processor' })
  sub_processor_id!: string;

  @Column({ type: 'timestamptz', nullable: true })
  notified_at!: Date | null;

  @Column({ type: 'date', nullable: true })
  objection_deadline!: string | null;

  /** What the sub-processor does for the processor (hosting, support, email delivery…). */
  @Column({ type: 'text', nullable: true })
  service!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  created_at!: Date;

  @ManyToOne(() => VendorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'vendor_id', foreignKeyConstraintName: 'fk_vendor_sub_processor_vendor' })
  vendor?: VendorEntity;

  @ManyToOne(() => VendorEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'sub_processor_id', foreignKeyConstraintName: 'fk_vendor_sub_processor_sub' })
  sub_processor?: VendorEntity;
}
