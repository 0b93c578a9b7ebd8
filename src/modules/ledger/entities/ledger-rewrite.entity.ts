import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One rewrite of existing ledger events that needs a key the database does not hold (migration 1767000700000): a
 * migration names it, the code that holds the key runs it (at a worker's start, or `npm run cli`) and records it
 * done here, so later starts cost one lookup.
 */
@Entity({ name: 'ledger_rewrite' })
export class LedgerRewriteEntity {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ name: 'requested_at', type: 'timestamptz', default: () => 'now()' })
  requestedAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** How many events the completed run rewrote. */
  @Column({ type: 'integer', nullable: true })
  rewritten!: number | null;
}
