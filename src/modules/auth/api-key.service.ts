import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { NotFoundError } from '../../platform/http/problem';
import { SCOPES, type Scope } from '../../platform/http/scopes';
import type { ApiPrincipal } from '../../platform/http/auth.decorators';

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** How long a verified key is trusted without asking the database again (revocation is immediate locally). */
const CACHE_TTL_MS = 5_000;
/** Keys remembered at once (valid or not); beyond this the cache starts over. */
const CACHE_MAX = 10_000;
/** last_used_at is written at most this often per key, after the request, never on its path. */
const TOUCH_INTERVAL_MS = 60_000;

interface CachedPrincipal {
  principal: ApiPrincipal | null;
  until: number;
}

function view(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    revoked_at: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}

/**
 * API keys for automation platforms. Only a SHA-256 of each key is stored (keys are 256-bit random, so a
 * fast hash is enough); the key itself is shown once, at creation.
 */
@Injectable()
export class ApiKeyService {
  private readonly logger = new Logger(ApiKeyService.name);
  /** By the key as presented (no hash per request); bounded, and emptied by a revocation. */
  private readonly cache = new Map<string, CachedPrincipal>();
  /** One database lookup per key at a time: concurrent requests with an expired key share it. */
  private readonly inFlight = new Map<string, Promise<ApiPrincipal | null>>();
  /** Bumped by a revocation, so a lookup that overlapped it is neither cached nor shared afterwards. */
  private generation = 0;
  private readonly touchedAt = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(
    name: string,
    scopes: Scope[],
    createdBy: string | null,
  ): Promise<ApiKeyView & { key: string }> {
    const secret = randomBytes(32).toString('base64url');
    const prefix = secret.slice(0, 8);
    const key = `cgk_${secret}`;
    const rows: ApiKeyRow[] = await this.dataSource.query(
      `INSERT INTO api_key (name, prefix, key_hash, scopes, created_by) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, name, prefix, scopes, created_at, last_used_at, revoked_at`,
      [name, prefix, CryptoService.sha256(key), scopes, createdBy],
    );
    return { ...view(rows[0]), key };
  }

  async list(): Promise<ApiKeyView[]> {
    const rows: ApiKeyRow[] = await this.dataSource.query(
      `SELECT id, name, prefix, scopes, created_at, last_used_at, revoked_at FROM api_key ORDER BY created_at`,
    );
    return rows.map(view);
  }

  async revoke(id: string): Promise<ApiKeyView> {
    const rows: [ApiKeyRow[], number] = await this.dataSource.query(
      `UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
       RETURNING id, name, prefix, scopes, created_at, last_used_at, revoked_at`,
      [id],
    );
    const row = rows[0][0];
    if (!row) throw new NotFoundError(`No API key ${id}`);
    this.generation++;
    this.cache.clear();
    this.inFlight.clear();
    return view(row);
  }

  /**
   * The principal a presented key stands for, when this process verified it less than CACHE_TTL_MS ago
   * (null: known to be unknown or revoked; undefined: not known here, call authenticate).
   */
  cachedPrincipal(presented: string): ApiPrincipal | null | undefined {
    const cached = this.cache.get(presented);
    return cached && cached.until > Date.now() ? cached.principal : undefined;
  }

  /** The principal a presented key stands for, or null when it is unknown or revoked. */
  async authenticate(presented: string): Promise<ApiPrincipal | null> {
    const cached = this.cachedPrincipal(presented);
    if (cached !== undefined) return cached;
    let lookup = this.inFlight.get(presented);
    if (!lookup) {
      lookup = this.lookup(presented).finally(() => {
        if (this.inFlight.get(presented) === lookup) this.inFlight.delete(presented);
      });
      this.inFlight.set(presented, lookup);
    }
    return lookup;
  }

  private async lookup(presented: string): Promise<ApiPrincipal | null> {
    const generation = this.generation;
    const rows: { id: string; name: string; scopes: Scope[] }[] = await this.dataSource.query(
      `SELECT id, name, scopes FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL`,
      [CryptoService.sha256(presented)],
    );
    const principal = rows[0] ? { keyId: rows[0].id, name: rows[0].name, scopes: rows[0].scopes } : null;
    if (generation === this.generation) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(presented, { principal, until: Date.now() + CACHE_TTL_MS });
    }
    if (principal) this.touch(principal.keyId);
    return principal;
  }

  /** Records that a key was used, at most once a minute per key and off the request's path. */
  private touch(keyId: string): void {
    const now = Date.now();
    if ((this.touchedAt.get(keyId) ?? 0) > now - TOUCH_INTERVAL_MS) return;
    if (this.touchedAt.size >= CACHE_MAX) this.touchedAt.clear();
    this.touchedAt.set(keyId, now);
    this.dataSource
      .query(`UPDATE api_key SET last_used_at = now() WHERE id = $1 AND revoked_at IS NULL`, [keyId])
      .catch((error: Error) =>
        this.logger.warn({ err: { message: error.message } }, 'could not record last_used_at'),
      );
  }

  /** BOOTSTRAP_API_KEY: make sure a key with that value and every scope exists. */
  async ensureBootstrapKey(): Promise<void> {
    const value = this.config.bootstrapApiKey;
    if (!value) return;
    await this.dataSource.query(
      `INSERT INTO api_key (name, prefix, key_hash, scopes, created_by) VALUES ('bootstrap', $1, $2, $3, 'BOOTSTRAP_API_KEY')
       ON CONFLICT ON CONSTRAINT uq_api_key_hash DO UPDATE SET scopes = EXCLUDED.scopes, revoked_at = NULL`,
      [value.slice(0, 8), CryptoService.sha256(value), [...SCOPES]],
    );
    this.logger.log('bootstrap API key is present with every scope');
  }
}
