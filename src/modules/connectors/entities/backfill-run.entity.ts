import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ConnectionEntity } from './connection.entity';

export type BackfillStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** One import of a CRM's existing consent: paged, resumable from its cursor. At most one running a connection. */
@Entity({ name: 'backfill_run' })
@Index('uq_backfill_running', ['connectionId'], { unique: true, where: `status = 'running'` })
@Check('ck_backfill_status', `status IN ('running','completed','failed','cancelled')`)
export class BackfillRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId!: string;

  @Column({ type: 'text', default: 'running' })
  status!: BackfillStatus;

  @Column({ type: 'text', nullable: true })
  cursor!: string | null;

  @Column({ type: 'integer', default: 0 })
  pages!: number;

  @Column({ name: 'contacts_seen', type: 'integer', default: 0 })
  contactsSeen!: number;

  /** What the vendor counted when the run began (migration 1767001200000); null: no count offered. */
  @Column({ name: 'contacts_total', type: 'integer', nullable: true })
  contactsTotal!: number | null;

  @Column({ name: 'events_recorded', type: 'integer', default: 0 })
  eventsRecorded!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @ManyToOne(() => ConnectionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id', foreignKeyConstraintName: 'fk_backfill_connection' })
  connection?: ConnectionEntity;
}
