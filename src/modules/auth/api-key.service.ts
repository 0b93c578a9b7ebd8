import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { isDatabaseUnavailable } from '../../platform/database/database-unavailable';
import { NotFoundError, RequestValidationError } from '../../platform/http/problem';
import { SCOPES, type Scope } from '../../platform/http/scopes';
import type { ApiPrincipal } from '../../platform/http/auth.decorators';
import { ApiKeyRepository, type ApiKeyRecord } from './api-key.repository';
import { assertMayGrantScopes } from './grant-limits';

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
  /** In force, revoked, or past its expiry. */
  status: 'active' | 'revoked' | 'expired';
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
  /** The key's own expiry (ms; Infinity when none): the outer limit even while the database is away. */
  expiry?: number;
}

function view(row: ApiKeyRecord): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes as Scope[],
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    revoked_at: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
    expires_at: row.expires_at ? new Date(row.expires_at).toISOString() : null,
    status: row.revoked_at
      ? 'revoked'
      : row.expires_at && new Date(row.expires_at).getTime() <= Date.now()
        ? 'expired'
        : 'active',
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
    private readonly apiKeys: ApiKeyRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(
    name: string,
    scopes: Scope[],
    createdBy: string | null,
    expiresAt: Date | null = null,
  ): Promise<ApiKeyView & { key: string }> {
    const secret = randomBytes(32).toString('base64url');
    const prefix = secret.slice(0, 8);
    const key = `cgk_${secret}`;
    const row = await this.apiKeys.insert({
      name,
      prefix,
      key_hash: CryptoService.sha256(key),
      scopes,
      created_by: createdBy,
      expires_at: expiresAt,
    });
    return { ...view(row), key };
  }

  /** A key created through the API: within the creator's own scopes, expiring in the future if at all. */
  createAs(
    creator: ApiPrincipal,
    name: string,
    scopes: Scope[],
    expiresAt: Date | null = null,
  ): Promise<ApiKeyView & { key: string }> {
    assertMayGrantScopes(creator.scopes, scopes);
    if (expiresAt && expiresAt.getTime() <= Date.now())
      throw new RequestValidationError('The expiry must be in the future.', [
        { field: 'expires_at', message: 'must be in the future' },
      ]);
    return this.create(
      name,
      scopes,
      creator.kind === 'user' ? creator.keyId : `api_key:${creator.keyId}`,
      expiresAt,
    );
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.apiKeys.list()).map(view);
  }

  async revoke(id: string): Promise<ApiKeyView> {
    const row = await this.apiKeys.revoke(id);
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

  /** Whether the key with this id is still in force (not revoked), read from the database, never a cache. */
  isActive(keyId: string): Promise<boolean> {
    return this.apiKeys.isActive(keyId);
  }

  /** The principal a presented key stands for, or null when it is unknown, revoked or expired. */
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
    let row: Awaited<ReturnType<ApiKeyRepository['findActiveByHash']>>;
    try {
      row = await this.apiKeys.findActiveByHash(CryptoService.sha256(presented));
    } catch (error) {
      // The database is away: a key this process verified before stays in force until it answers again,
      // so consent checks keep being served (CHECK_WHEN_DATABASE_DOWN); nothing else can run without it.
      const known = this.cache.get(presented);
      if (known?.principal && isDatabaseUnavailable(error) && (known.expiry ?? 0) > Date.now()) {
        return known.principal;
      }
      throw error;
    }
    const principal = row ? { keyId: row.id, name: row.name, scopes: row.scopes as Scope[] } : null;
    if (generation === this.generation) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      // Never trusted past its expiry, however recently it was verified.
      const expiry = row?.expires_at ? new Date(row.expires_at).getTime() : Infinity;
      this.cache.set(presented, { principal, until: Math.min(Date.now() + CACHE_TTL_MS, expiry), expiry });
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
    this.apiKeys
      .touch(keyId)
      .catch((error: Error) =>
        this.logger.warn({ err: { message: error.message } }, 'could not record last_used_at'),
      );
  }

  /**
   * BOOTSTRAP_API_KEY: a key with that value and every scope, created only if no key with that value ever
   * existed. A revoked bootstrap key stays revoked across restarts: revocation is the operator's decision.
   */
  async ensureBootstrapKey(): Promise<void> {
    const value = this.config.bootstrapApiKey;
    if (!value) return;
    const outcome = await this.apiKeys.ensureBootstrap(
      value.slice(0, 8),
      CryptoService.sha256(value),
      SCOPES,
    );
    if (outcome === 'revoked')
      this.logger.warn('BOOTSTRAP_API_KEY names a revoked key: it stays revoked; unset the variable');
    else this.logger.log(`bootstrap API key is ${outcome} with every scope`);
  }
}
