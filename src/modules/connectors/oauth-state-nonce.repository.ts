import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { OAuthStateNonceEntity } from './entities/oauth-state-nonce.entity';

/** The oauth_state_nonce table: which OAuth states have already completed their flow. */
@Injectable()
export class OAuthStateNonceRepository {
  constructor(
    @InjectRepository(OAuthStateNonceEntity) private readonly repo: Repository<OAuthStateNonceEntity>,
  ) {}

  /** Whether the state with this nonce already completed a flow (a cheap check before calling the vendor). */
  async isUsed(nonce: string): Promise<boolean> {
    const rows: unknown[] = await this.repo.query(`SELECT 1 FROM oauth_state_nonce WHERE nonce = $1`, [
      nonce,
    ]);
    return rows.length > 0;
  }

  /**
   * Records the nonce as used, in the caller's transaction; false when it already was (the insert that loses
   * a race waits for the winner's commit, then conflicts) or its state has expired meanwhile. Rows of expired
   * states go at the same time: their states are refused by their expiry, here as at decoding.
   */
  async consume(manager: EntityManager, nonce: string, expiresAt: Date): Promise<boolean> {
    await manager.query(`DELETE FROM oauth_state_nonce WHERE expires_at < now()`);
    const inserted: unknown[] = await manager.query(
      `INSERT INTO oauth_state_nonce (nonce, expires_at) SELECT $1, $2::timestamptz WHERE $2::timestamptz > now()
       ON CONFLICT ON CONSTRAINT pk_oauth_state_nonce DO NOTHING RETURNING nonce`,
      [nonce, expiresAt],
    );
    return inserted.length === 1;
  }
}
