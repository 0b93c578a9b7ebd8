import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The one row of the chain's state: where the legacy (unkeyed) prefix ends, and the checkpoint up to which
 * the chain was verified. `mac` (under the chain key) covers all of it, so editing this row is detected too.
 */
@Entity({ name: 'audit_chain_state' })
@Check('ck_audit_chain_state_single', 'id = 1')
export class AuditChainStateEntity {
  @PrimaryColumn({ type: 'smallint', default: 1 })
  id!: number;

  /** Entries at places up to this one are legacy (SHA-256, no key). */
  @Column({ type: 'bigint' })
  legacy_through!: string;

  /** The hash of the last legacy entry: the keyed chain's first link. */
  @Column({ type: 'text' })
  legacy_head!: string;

  /** The verified checkpoint: the chain verified up to this place… */
  @Column({ type: 'bigint', default: 0 })
  verified_through!: string;

  /** …ending on this hash. */
  @Column({ type: 'text' })
  verified_hash!: string;

  @Column({ type: 'timestamptz', nullable: true })
  verified_at!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  full_verified_at!: Date | null;

  /** Null only until the first start with the chain key seals the row. */
  @Column({ type: 'text', nullable: true })
  mac!: string | null;
}
