import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { VendorEntity } from '../../vendors/entities/vendor.entity';
import type { ConnectionType, ErasureMode } from '../connector.port';

export type ConnectionStatus = 'active' | 'paused' | 'auth_failed' | 'disconnected';

/**
 * A connected account at a processor (migration 1764500000000, ix_connection_vendor from 1764600000000).
 */
@Entity({ name: 'connection' })
@Index('ix_connection_account', ['type', 'externalAccountId'])
@Index('ix_connection_vendor', ['vendorId'])
@Check('ck_connection_type', `type IN ('hubspot','salesforce','webhook')`)
@Check('ck_connection_status', `status IN ('active','paused','auth_failed','disconnected')`)
@Check('ck_connection_phone_region', `phone_region ~ '^[A-Z]{2}$'`)
@Check('ck_connection_erasure_mode', `erasure_mode IN ('vendor_gdpr_delete','hard_delete','mask_fields')`)
export class ConnectionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'vendor_id', type: 'uuid' })
  vendorId!: string;

  @Column({ type: 'text' })
  type!: ConnectionType;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', default: 'active' })
  status!: ConnectionStatus;

  @Column({ name: 'base_url', type: 'text', nullable: true })
  baseUrl!: string | null;

  @Column({ name: 'login_url', type: 'text', nullable: true })
  loginUrl!: string | null;

  @Column({ type: 'bytea' })
  credentials!: Buffer;

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  @Column({ name: 'token_expires_at', type: 'timestamptz', nullable: true })
  tokenExpiresAt!: Date | null;

  @Column({ name: 'external_account_id', type: 'text', nullable: true })
  externalAccountId!: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  mapping!: Record<string, unknown>;

  @Column({ name: 'erasure_mode', type: 'text', default: 'vendor_gdpr_delete' })
  erasureMode!: ErasureMode;

  @Column({ name: 'rate_limit', type: 'jsonb', default: () => `'{}'` })
  rateLimit!: { max?: number; windowMs?: number };

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** Region of numbers typed in national form at this account (ISO 3166 alpha-2); null: the gateway default. */
  @Column({ name: 'phone_region', type: 'text', nullable: true })
  phoneRegion!: string | null;

  @Column({ name: 'last_test_at', type: 'timestamptz', nullable: true })
  lastTestAt!: Date | null;

  @Column({ name: 'last_test_result', type: 'jsonb', nullable: true })
  lastTestResult!: unknown;

  @Column({ name: 'refresh_history', type: 'timestamptz', array: true, default: () => `'{}'` })
  refreshHistory!: Date[];

  @Column({ name: 'sync_cursor', type: 'jsonb', default: () => `'{}'` })
  syncCursor!: Record<string, unknown>;

  /** The propagation worker's drain lease (written through ConnectionLeases). */
  @Column({ name: 'drain_owner', type: 'text', nullable: true })
  drainOwner!: string | null;

  @Column({ name: 'drain_lease_until', type: 'timestamptz', nullable: true })
  drainLeaseUntil!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'disconnected_at', type: 'timestamptz', nullable: true })
  disconnectedAt!: Date | null;

  @ManyToOne(() => VendorEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'vendor_id', foreignKeyConstraintName: 'fk_connection_vendor' })
  vendor?: VendorEntity;
}
