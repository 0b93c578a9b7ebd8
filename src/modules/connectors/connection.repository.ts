import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, type EntityManager, type Repository } from 'typeorm';
import type { ConnectionType, ErasureMode } from './connector.port';
import { ConnectionEntity, type ConnectionStatus } from './entities/connection.entity';
import { scrubbedText } from '../../platform/logging/personal-data-scrubber';

/** A connection row as the services read it (snake_case, as stored). */
export interface ConnectionRow {
  id: string;
  vendor_id: string;
  type: ConnectionType;
  name: string;
  status: ConnectionStatus;
  base_url: string | null;
  login_url: string | null;
  credentials: Buffer;
  key_id: string;
  token_expires_at: Date | null;
  external_account_id: string | null;
  mapping: Record<string, unknown>;
  erasure_mode: ErasureMode;
  rate_limit: { max?: number; windowMs?: number };
  last_error: string | null;
  phone_region: string | null;
  last_test_at: Date | null;
  last_test_result: unknown;
  refresh_history: Date[];
  sync_cursor: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  disconnected_at: Date | null;
}

export interface ConnectionInsert {
  /** Made by the caller, so that the credentials are sealed bound to it. */
  id: string;
  vendorId: string;
  type: ConnectionType;
  name: string;
  baseUrl: string | null;
  loginUrl: string | null;
  credentials: Buffer;
  keyId: string;
  tokenExpiresAt: string | null;
  externalAccountId: string | null;
  mapping: Record<string, unknown>;
  erasureMode: ErasureMode;
  rateLimit: Record<string, unknown>;
}

const SELECT = `SELECT c.* FROM connection c`;

/** The connection table. */
@Injectable()
export class ConnectionRepository {
  constructor(@InjectRepository(ConnectionEntity) private readonly repo: Repository<ConnectionEntity>) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(work);
  }

  private query<T>(sql: string, params: unknown[], manager?: EntityManager): Promise<T> {
    return (manager ?? this.repo.manager).query<T>(sql, params);
  }

  async insert(manager: EntityManager, input: ConnectionInsert): Promise<string> {
    const row = Object.assign(new ConnectionEntity(), {
      id: input.id,
      vendorId: input.vendorId,
      type: input.type,
      name: input.name,
      baseUrl: input.baseUrl,
      loginUrl: input.loginUrl,
      credentials: input.credentials,
      keyId: input.keyId,
      tokenExpiresAt: input.tokenExpiresAt ? new Date(input.tokenExpiresAt) : null,
      externalAccountId: input.externalAccountId,
      mapping: input.mapping,
      erasureMode: input.erasureMode,
      rateLimit: input.rateLimit,
    });
    return (await manager.getRepository(ConnectionEntity).save(row)).id;
  }

  /** raw SQL: the row in its stored snake_case form, as the services read it (ConnectionRow). */
  async find(id: string, manager?: EntityManager): Promise<ConnectionRow | null> {
    const rows = await this.query<ConnectionRow[]>(`${SELECT} WHERE c.id = $1`, [id], manager);
    return rows[0] ?? null;
  }

  /** Every connection of the vendor, disconnected ones too, read in the caller's transaction (ConnectionRow). */
  ofVendor(manager: EntityManager, vendorId: string): Promise<ConnectionRow[]> {
    return this.query(`${SELECT} WHERE c.vendor_id = $1 ORDER BY c.created_at`, [vendorId], manager);
  }

  /** raw SQL: rows in their stored snake_case form (ConnectionRow), optional filters in one statement. */
  list(filter: { type?: ConnectionType; status?: ConnectionStatus }): Promise<ConnectionRow[]> {
    return this.query(
      `${SELECT} WHERE ($1::text IS NULL OR c.type = $1) AND ($2::text IS NULL OR c.status = $2) ORDER BY c.created_at`,
      [filter.type ?? null, filter.status ?? null],
    );
  }

  /** raw SQL: coalesce keeps what the patch leaves out, in one statement. */
  async patch(
    id: string,
    patch: {
      name: string | null;
      status: string | null;
      mapping: Record<string, unknown> | null;
      erasureMode: string | null;
      rateLimit: Record<string, unknown> | null;
      /** undefined: unchanged; null: cleared (the gateway default applies). */
      phoneRegion?: string | null;
    },
  ): Promise<void> {
    await this.query(
      `UPDATE connection SET name = coalesce($2, name), status = coalesce($3, status),
              mapping = coalesce($4::jsonb, mapping), erasure_mode = coalesce($5, erasure_mode),
              rate_limit = coalesce($6::jsonb, rate_limit),
              phone_region = CASE WHEN $7::boolean THEN $8::text ELSE phone_region END,
              updated_at = now() WHERE id = $1`,
      [
        id,
        patch.name,
        patch.status,
        patch.mapping ? JSON.stringify(patch.mapping) : null,
        patch.erasureMode,
        patch.rateLimit ? JSON.stringify(patch.rateLimit) : null,
        patch.phoneRegion !== undefined,
        patch.phoneRegion ?? null,
      ],
    );
  }

  async markDisconnected(id: string): Promise<void> {
    await this.repo.update(id, {
      status: 'disconnected',
      disconnectedAt: () => 'now()',
      updatedAt: () => 'now()',
    });
  }

  async recordTest(id: string, result: { ok: boolean; detail: string }): Promise<void> {
    // A vendor's answer may echo personal data: scrubbed before it is stored.
    const detail = scrubbedText(result.detail, 1000);
    await this.repo.update(id, {
      lastTestAt: () => 'now()',
      lastTestResult: { ...result, detail },
      ...(result.ok ? { lastError: null } : { lastError: detail }),
      updatedAt: () => 'now()',
    });
  }

  /** raw SQL: jsonb || merges into what is stored, without a read. */
  async mergeMapping(id: string, mapping: Record<string, unknown>): Promise<void> {
    await this.query(
      `UPDATE connection SET mapping = mapping || $2::jsonb, updated_at = now() WHERE id = $1`,
      [id, JSON.stringify(mapping)],
    );
  }

  async setExternalAccountId(id: string, externalAccountId: string): Promise<void> {
    await this.repo.update(id, { externalAccountId, updatedAt: () => 'now()' });
  }

  /** raw SQL: jsonb || merges into what is stored, without a read. */
  async mergeCursor(id: string, cursor: Record<string, unknown>, manager?: EntityManager): Promise<void> {
    await this.query(
      `UPDATE connection SET sync_cursor = sync_cursor || $2::jsonb WHERE id = $1`,
      [id, JSON.stringify(cursor)],
      manager,
    );
  }

  async saveCredentials(id: string, sealed: { ciphertext: Buffer; keyId: string }, expiresAt: string | null) {
    await this.repo.update(id, {
      credentials: sealed.ciphertext,
      keyId: sealed.keyId,
      tokenExpiresAt: expiresAt ? new Date(expiresAt) : null,
      updatedAt: () => 'now()',
    });
  }

  /** raw SQL: the status guard and the update are one statement. */
  async markAuthFailed(id: string, reason: string): Promise<void> {
    await this.query(
      `UPDATE connection SET status = 'auth_failed', last_error = $2, updated_at = now() WHERE id = $1 AND status <> 'disconnected'`,
      [id, scrubbedText(reason, 1000)],
    );
  }

  /** raw SQL: array ops (unnest, array_agg) keep the refresh window in one statement. Returns the window. */
  async recordRefresh(id: string, windowSeconds: number): Promise<Date[]> {
    const rows: [{ refresh_history: Date[] }[], number] = await this.query(
      `UPDATE connection SET refresh_history = (
          SELECT coalesce(array_agg(t ORDER BY t), '{}') FROM unnest(refresh_history || now()) AS t
           WHERE t > now() - make_interval(secs => $2))
        WHERE id = $1 RETURNING refresh_history`,
      [id, windowSeconds],
    );
    return rows[0][0]?.refresh_history ?? [];
  }

  /** The first live HubSpot connection of a portal (an inbox delivery names only the portal). */
  /**
   * The live (not disconnected) connection already reaching this account, oldest first, read after taking a
   * transaction-scoped advisory lock on the account: of two connects of one account racing, the second waits for
   * the first's commit and then sees it.
   */
  async liveOfAccount(
    manager: EntityManager,
    type: ConnectionType,
    externalAccountId: string,
  ): Promise<{ id: string; name: string } | null> {
    // raw SQL: pg_advisory_xact_lock has no query-builder form.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      `connection-account:${type}:${externalAccountId}`,
    ]);
    const row = await manager.getRepository(ConnectionEntity).findOne({
      select: { id: true, name: true },
      where: { type, externalAccountId, status: Not('disconnected') },
      order: { createdAt: 'ASC' },
    });
    return row ? { id: row.id, name: row.name } : null;
  }

  async hubspotByPortal(manager: EntityManager, portalId: string): Promise<string | null> {
    const row = await manager.getRepository(ConnectionEntity).findOne({
      select: { id: true },
      where: { type: 'hubspot', externalAccountId: portalId, status: Not('disconnected') },
      order: { createdAt: 'ASC' },
    });
    return row?.id ?? null;
  }

  /**
   * Connections that must hear of a person's changes: every one not disconnected, oldest first.
   * raw SQL: runs for every ledger event the intake plans, kept verbatim (no entity hydration).
   */
  propagationTargets(manager: EntityManager): Promise<{ id: string; status: ConnectionStatus }[]> {
    return manager.query(
      `SELECT id, status FROM connection WHERE status <> 'disconnected' ORDER BY created_at`,
    );
  }
}
