import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { DataSubjectRequestEntity } from './data-subject-request.entity';

/** A span in which a request's clock stood still (waiting for the person to prove who they are). */
@Entity({ name: 'request_pause' })
@Index('ix_request_pause_request', ['requestId', 'pausedAt'])
@Index('uq_request_pause_open', ['requestId'], { unique: true, where: `resumed_at IS NULL` })
@Check('ck_request_pause_order', `resumed_at IS NULL OR resumed_at >= paused_at`)
export class RequestPauseEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'request_id', type: 'uuid' })
  requestId!: string;

  @ManyToOne(() => DataSubjectRequestEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'request_id', foreignKeyConstraintName: 'fk_request_pause_request' })
  request?: DataSubjectRequestEntity;

  @Column({ name: 'paused_at', type: 'timestamptz' })
  pausedAt!: Date;

  @Column({ name: 'resumed_at', type: 'timestamptz', nullable: true })
  resumedAt!: Date | null;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'paused_by', type: 'text' })
  pausedBy!: string;

  @Column({ name: 'resumed_by', type: 'text', nullable: true })
  resumedBy!: string | null;
}
