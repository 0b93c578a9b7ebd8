import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ProcessingActivityEntity } from './processing-activity.entity';
import { VendorEntity } from './vendor.entity';

/** A recipient (a registry vendor) of a processing activity. */
@Entity({ name: 'processing_activity_recipient' })
@Index('ix_processing_activity_recipient_vendor', ['vendor_id'])
export class ProcessingActivityRecipientEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_processing_activity_recipient' })
  processing_activity_id!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_processing_activity_recipient' })
  vendor_id!: string;

  @ManyToOne(() => ProcessingActivityEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'processing_activity_id', foreignKeyConstraintName: 'fk_pa_recipient_activity' })
  activity?: ProcessingActivityEntity;

  @ManyToOne(() => VendorEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'vendor_id', foreignKeyConstraintName: 'fk_pa_recipient_vendor' })
  vendor?: VendorEntity;
}
