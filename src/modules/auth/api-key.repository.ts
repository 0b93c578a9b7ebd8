import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiKeyEntity } from './entities/api-key.entity';

/** What of a key is ever read back: never its hash. */
const PUBLIC_COLUMNS = [
  'id',
  'name',
  'prefix',
  'scopes',
  'created_at',
  'last_used_at',
  'revoked_at',
  'expires_at',
] as const;

export type ApiKeyRecord = Pick<ApiKeyEntity, (typeof PUBLIC_COLUMNS)[number]>;

/** The api_key table. */
@Injectable()
export class ApiKeyRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly repo: Repository<ApiKeyEntity>) {}

  async insert(
    key: Pick<ApiKeyEntity, 'name' | 'prefix' | 'key_hash' | 'scopes' | 'created_by' | 'expires_at'>,
  ) {
    const rows = (
      await this.repo
        .createQueryBuilder()
        .insert()
        .values(key)
        .returning([...PUBLIC_COLUMNS])
        .execute()
    ).raw as ApiKeyRecord[];
    return rows[0];
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.repo.find({
      select: Object.fromEntries(PUBLIC_COLUMNS.map((c) => [c, true])),
      order: { created_at: 'ASC' },
    });
  }

  /** Revokes the key (a second revocation keeps the first date); null when there is no such key. */
  async revoke(id: string): Promise<ApiKeyRecord | null> {
    const rows = (
      await this.repo
        .createQueryBuilder()
        .update()
        .set({ revoked_at: () => 'coalesce(revoked_at, now())' })
        .where('id = :id', { id })
        .returning([...PUBLIC_COLUMNS])
        .execute()
    ).raw as ApiKeyRecord[];
    return rows[0] ?? null;
  }

  /** The key with this hash that is neither revoked nor expired (by the database's clock). */
  findActiveByHash(
    keyHash: Buffer,
  ): Promise<Pick<ApiKeyEntity, 'id' | 'name' | 'scopes' | 'expires_at'> | null> {
    return this.repo
      .createQueryBuilder('k')
      .select(['k.id', 'k.name', 'k.scopes', 'k.expires_at'])
      .where('k.key_hash = :keyHash AND k.revoked_at IS NULL', { keyHash })
      .andWhere('(k.expires_at IS NULL OR k.expires_at > now())')
      .getOne();
  }

  /** Whether a key with this id exists, is not revoked and has not expired. */
  async isActive(id: string): Promise<boolean> {
    return this.repo
      .createQueryBuilder('k')
      .where('k.id = :id AND k.revoked_at IS NULL', { id })
      .andWhere('(k.expires_at IS NULL OR k.expires_at > now())')
      .getExists();
  }

  async touch(id: string): Promise<void> {
    await this.repo
      .createQueryBuilder()
      .update()
      .set({ last_used_at: () => 'now()' })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();
  }

  /**
   * raw SQL: inserts the bootstrap key unless a key with this hash ever existed (keys are revoked, never
   * deleted, so the row is the memory). An existing unrevoked one gets today's full scope list; a revoked
   * one stays revoked. Returns what happened.
   */
  async ensureBootstrap(
    prefix: string,
    keyHash: Buffer,
    scopes: readonly string[],
  ): Promise<'created' | 'present' | 'revoked'> {
    // An INSERT's RETURNING rows come back as they are (UPDATE and DELETE give [rows, count]).
    const rows: { created: boolean }[] = await this.repo.query(
      `INSERT INTO api_key (name, prefix, key_hash, scopes, created_by) VALUES ('bootstrap', $1, $2, $3, 'BOOTSTRAP_API_KEY')
       ON CONFLICT ON CONSTRAINT uq_api_key_hash DO UPDATE SET scopes = EXCLUDED.scopes
         WHERE api_key.revoked_at IS NULL
       RETURNING (xmax = 0) AS created`,
      [prefix, keyHash, [...scopes]],
    );
    if (!rows[0]) return 'revoked';
    return rows[0].created ? 'created' : 'present';
  }
}
