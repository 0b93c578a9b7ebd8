import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { DataSubjectRequestEntity } from './data-subject-request.entity';

/**
 * One step in a request's history: what happened, who did it, non-personal details. Append-only (triggers
 * trg_request_event_append_only and trg_request_event_no_truncate in migration 1766000002000).
 */
@Entity({ name: 'request_event' })
@Index('ix_request_event_request', ['requestId', 'seq'])
export class RequestEventEntity {
  /** bigint, read as a string (no precision lost past 2^53); orders events of one transaction. */
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'request_event_pkey' })
  seq!: string;

  @Column({ name: 'request_id', type: 'uuid' })
  requestId!: string;

  @ManyToOne(() => DataSubjectRequestEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'request_id', foreignKeyConstraintName: 'fk_request_event_request' })
  request?: DataSubjectRequestEntity;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'text' })
  actor!: string;

  /** Ids, counts, codes and field names: never an identifier's value. */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  detail!: Record<string, unknown>;
}
