import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The nonce of an OAuth state that has completed its flow: a state is single-use, so a second callback with it
 * (a replay, a leaked URL) is refused. Written in the transaction that creates the connection; a row is
 * deleted once its state has expired anyway (then the signature check alone refuses it). Migration 1767000300000.
 */
@Entity({ name: 'oauth_state_nonce' })
@Index('ix_oauth_state_nonce_expires_at', ['expiresAt'])
export class OAuthStateNonceEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_oauth_state_nonce' })
  nonce!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', default: () => 'now()' })
  usedAt!: Date;
}
