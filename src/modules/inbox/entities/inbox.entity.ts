import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { InboxProvider } from '../inbox.constants';

export type InboxStatus = 'pending' | 'processed' | 'failed';

/** A webhook delivery stored (encrypted) before it is acknowledged, then processed from here. */
@Entity({ name: 'inbox' })
@Unique('uq_inbox_provider_delivery', ['provider', 'deliveryId'])
@Index('ix_inbox_claim', ['lane', 'receivedAt'], { where: `status <> 'processed'` })
@Index('ix_inbox_purge', ['receivedAt'], { where: `raw_body IS NOT NULL AND status = 'processed'` })
@Check('ck_inbox_status', `status IN ('pending','processed','failed')`)
@Check('ck_inbox_lane', `lane IN (0, 1)`)
export class InboxEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  provider!: InboxProvider;

  @Column({ name: 'delivery_id', type: 'text' })
  deliveryId!: string;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Column({ name: 'raw_body', type: 'bytea', nullable: true })
  rawBody!: Buffer | null;

  @Column({ name: 'key_id', type: 'text', nullable: true })
  keyId!: string | null;

  @Column({ type: 'text', nullable: true })
  signature!: string | null;

  @Column({ type: 'text', default: 'pending' })
  status!: InboxStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** 0: may change consent (served first); 1: only sent/delivered/read statuses (InboxLane). */
  @Column({ type: 'smallint', default: 0 })
  lane!: number;

  /** A failed delivery is claimed again from then on (backoff); null: as soon as a worker is free. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  summary!: Record<string, number> | null;

  @Column({ name: 'purged_at', type: 'timestamptz', nullable: true })
  purgedAt!: Date | null;
}
