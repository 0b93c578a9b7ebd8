import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { OutboundGuard, OutboundUrlError } from '../../platform/http/outbound-guard';
import { ConnectionInvalidError, ConnectionNotFoundError } from './connection.errors';
import {
  AuthFailedError,
  type ConnectionContext,
  type ConnectionCredentials,
  type ConnectionType,
  type ErasureMode,
} from './connector.port';
import { DEFAULT_RATE_LIMITS, VENDOR_DEFAULTS } from './vendor-defaults';

export type ConnectionStatus = 'active' | 'paused' | 'auth_failed' | 'disconnected';

interface ConnectionRow {
  id: string;
  vendor_id: string;
  vendor_name: string;
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
  last_test_at: Date | null;
  last_test_result: unknown;
  refresh_history: Date[];
  sync_cursor: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  disconnected_at: Date | null;
}

export interface NewConnection {
  type: ConnectionType;
  name: string;
  vendorId?: string | null;
  baseUrl?: string | null;
  loginUrl?: string | null;
  credentials: ConnectionCredentials;
  externalAccountId?: string | null;
  erasureMode?: ErasureMode;
  mapping?: Record<string, unknown>;
  rateLimit?: { max: number; windowMs: number } | null;
}

export interface ConnectionPatch {
  name?: string;
  status?: 'active' | 'paused';
  mapping?: Record<string, unknown>;
  erasureMode?: ErasureMode;
  rateLimit?: { max: number; windowMs: number };
}

const SELECT = `SELECT c.*, v.name AS vendor_name FROM connection c JOIN vendor v ON v.id = c.vendor_id`;

/** A token is refreshed this long before it expires. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** Refresh-loop guard: more refreshes than this within the window mark the connection auth_failed. */
const MAX_REFRESHES = 5;
const REFRESH_WINDOW_MS = 10 * 60_000;

export function view(row: ConnectionRow) {
  return {
    id: row.id,
    vendor_id: row.vendor_id,
    vendor_name: row.vendor_name,
    type: row.type,
    name: row.name,
    status: row.status,
    base_url: row.base_url,
    login_url: row.login_url,
    external_account_id: row.external_account_id,
    mapping: row.mapping,
    erasure_mode: row.erasure_mode,
    rate_limit: { ...DEFAULT_RATE_LIMITS[row.type], ...row.rate_limit },
    token_expires_at: row.token_expires_at ? new Date(row.token_expires_at).toISOString() : null,
    last_error: row.last_error,
    last_test_at: row.last_test_at ? new Date(row.last_test_at).toISOString() : null,
    last_test_result: row.last_test_result,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    disconnected_at: row.disconnected_at ? new Date(row.disconnected_at).toISOString() : null,
  };
}

export type ConnectionView = ReturnType<typeof view>;

/**
 * Connected accounts: their encrypted credentials, where they point, and the record of which remote
 * record stands for which person. The only place credentials are decrypted.
 */
@Injectable()
export class ConnectionService {
  private readonly logger = new Logger(ConnectionService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly crypto: CryptoService,
    private readonly guard: OutboundGuard,
  ) {}

  /** A base_url or login_url is accepted only for allow-listed hosts (sandboxes, test doubles). */
  checkOverride(field: 'base_url' | 'login_url', raw: string | null | undefined): string | null {
    if (!raw) return null;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConnectionInvalidError(`${field} is not a valid URL`, [
        { field, message: 'is not a valid URL' },
      ]);
    }
    if (!this.guard.isAllowlisted(url)) {
      throw new ConnectionInvalidError(`${field} must name a host listed in OUTBOUND_ALLOWLIST`, [
        { field, message: 'host is not in OUTBOUND_ALLOWLIST; omit it to use the vendor address' },
      ]);
    }
    return url.toString().replace(/\/$/, '');
  }

  async checkWebhookUrl(raw: string): Promise<string> {
    try {
      return (await this.guard.check(raw)).toString();
    } catch (error) {
      const message = error instanceof OutboundUrlError ? error.message : 'is not allowed';
      throw new ConnectionInvalidError(`credentials.url ${message}`, [{ field: 'credentials.url', message }]);
    }
  }

  private seal(credentials: ConnectionCredentials) {
    return this.crypto.seal(JSON.stringify(credentials));
  }

  private open(row: Pick<ConnectionRow, 'credentials' | 'key_id'>): ConnectionCredentials {
    return JSON.parse(
      this.crypto.openText({ ciphertext: row.credentials, keyId: row.key_id }),
    ) as ConnectionCredentials;
  }

  private async vendorFor(
    manager: EntityManager,
    type: ConnectionType,
    vendorId: string | null | undefined,
    name: string,
  ) {
    if (vendorId) {
      const rows: { id: string }[] = await manager.query(`SELECT id FROM vendor WHERE id = $1`, [vendorId]);
      if (!rows[0])
        throw new ConnectionInvalidError('No such vendor', [
          { field: 'vendor_id', message: 'names no vendor' },
        ]);
      return vendorId;
    }
    const vendorName = type === 'webhook' ? name : VENDOR_DEFAULTS[type].vendorName;
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO vendor (name) VALUES ($1) ON CONFLICT ON CONSTRAINT uq_vendor_name DO UPDATE SET updated_at = vendor.updated_at RETURNING id`,
      [vendorName],
    );
    return rows[0].id;
  }

  async create(input: NewConnection): Promise<ConnectionView> {
    const sealed = this.seal(input.credentials);
    const id = await this.dataSource.transaction(async (manager) => {
      const vendorId = await this.vendorFor(manager, input.type, input.vendorId, input.name);
      const rows: { id: string }[] = await manager.query(
        `INSERT INTO connection (vendor_id, type, name, base_url, login_url, credentials, key_id, token_expires_at,
            external_account_id, mapping, erasure_mode, rate_limit)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id`,
        [
          vendorId,
          input.type,
          input.name,
          input.baseUrl ?? null,
          input.loginUrl ?? null,
          sealed.ciphertext,
          sealed.keyId,
          input.credentials.expiresAt ?? null,
          input.externalAccountId ?? null,
          JSON.stringify(input.mapping ?? {}),
          input.erasureMode ?? (input.type === 'hubspot' ? 'vendor_gdpr_delete' : 'hard_delete'),
          JSON.stringify(input.rateLimit ?? {}),
        ],
      );
      return rows[0].id;
    });
    return this.get(id);
  }

  private async row(
    id: string,
    manager: EntityManager | DataSource = this.dataSource,
  ): Promise<ConnectionRow> {
    const rows: ConnectionRow[] = await manager.query(`${SELECT} WHERE c.id = $1`, [id]);
    if (!rows[0]) throw new ConnectionNotFoundError(`No connection ${id}`);
    return rows[0];
  }

  async get(id: string): Promise<ConnectionView> {
    return view(await this.row(id));
  }

  async list(filter: { type?: ConnectionType; status?: ConnectionStatus } = {}): Promise<ConnectionView[]> {
    const rows: ConnectionRow[] = await this.dataSource.query(
      `${SELECT} WHERE ($1::text IS NULL OR c.type = $1) AND ($2::text IS NULL OR c.status = $2) ORDER BY c.created_at`,
      [filter.type ?? null, filter.status ?? null],
    );
    return rows.map(view);
  }

  async update(id: string, patch: ConnectionPatch): Promise<ConnectionView> {
    const row = await this.row(id);
    if (patch.status && row.status === 'disconnected') {
      throw new ConnectionInvalidError('A disconnected connection cannot be resumed; connect it again.', [
        { field: 'status', message: 'connection is disconnected' },
      ]);
    }
    await this.dataSource.query(
      `UPDATE connection SET name = coalesce($2, name), status = coalesce($3, status),
              mapping = coalesce($4::jsonb, mapping), erasure_mode = coalesce($5, erasure_mode),
              rate_limit = coalesce($6::jsonb, rate_limit), updated_at = now() WHERE id = $1`,
      [
        id,
        patch.name ?? null,
        patch.status ?? null,
        patch.mapping ? JSON.stringify({ ...row.mapping, ...patch.mapping }) : null,
        patch.erasureMode ?? null,
        patch.rateLimit ? JSON.stringify(patch.rateLimit) : null,
      ],
    );
    return this.get(id);
  }

  /**
   * Stops propagating to the connection. Its credentials are kept: an erasure must still reach a
   * processor that held the person's data, for as long as the credentials work.
   */
  async disconnect(id: string): Promise<ConnectionView> {
    await this.row(id);
    await this.dataSource.query(
      `UPDATE connection SET status = 'disconnected', disconnected_at = now(), updated_at = now() WHERE id = $1`,
      [id],
    );
    return this.get(id);
  }

  async recordTest(id: string, result: { ok: boolean; detail: string }): Promise<void> {
    await this.dataSource.query(
      `UPDATE connection SET last_test_at = now(), last_test_result = $2, last_error = CASE WHEN $3 THEN NULL ELSE $4 END,
              updated_at = now() WHERE id = $1`,
      [id, JSON.stringify(result), result.ok, result.detail.slice(0, 1000)],
    );
  }

  async saveMapping(id: string, mapping: Record<string, unknown>): Promise<void> {
    await this.dataSource.query(
      `UPDATE connection SET mapping = mapping || $2::jsonb, updated_at = now() WHERE id = $1`,
      [id, JSON.stringify(mapping)],
    );
  }

  async setExternalAccountId(id: string, externalAccountId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE connection SET external_account_id = $2, updated_at = now() WHERE id = $1`,
      [id, externalAccountId],
    );
  }

  async saveCursor(id: string, cursor: Record<string, unknown>, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource).query(
      `UPDATE connection SET sync_cursor = sync_cursor || $2::jsonb WHERE id = $1`,
      [id, JSON.stringify(cursor)],
    );
  }

  async syncCursor(id: string): Promise<Record<string, unknown>> {
    return (await this.row(id)).sync_cursor;
  }

  async saveCredentials(id: string, credentials: ConnectionCredentials): Promise<void> {
    const sealed = this.seal(credentials);
    await this.dataSource.query(
      `UPDATE connection SET credentials = $2, key_id = $3, token_expires_at = $4, updated_at = now() WHERE id = $1`,
      [id, sealed.ciphertext, sealed.keyId, credentials.expiresAt ?? null],
    );
  }

  async markAuthFailed(id: string, reason: string): Promise<void> {
    this.logger.warn({ connectionId: id }, 'connection marked auth_failed');
    await this.dataSource.query(
      `UPDATE connection SET status = 'auth_failed', last_error = $2, updated_at = now() WHERE id = $1 AND status <> 'disconnected'`,
      [id, reason.slice(0, 1000)],
    );
  }

  /**
   * Records a token refresh; refuses (and marks the connection auth_failed) when refreshes come too
   * often, which is what an endless refresh/401 loop looks like.
   */
  async guardRefresh(id: string): Promise<void> {
    const rows: [{ refresh_history: Date[] }[], number] = await this.dataSource.query(
      `UPDATE connection SET refresh_history = (
          SELECT coalesce(array_agg(t ORDER BY t), '{}') FROM unnest(refresh_history || now()) AS t
           WHERE t > now() - make_interval(secs => $2))
        WHERE id = $1 RETURNING refresh_history`,
      [id, REFRESH_WINDOW_MS / 1000],
    );
    const history = rows[0][0]?.refresh_history ?? [];
    if (history.length > MAX_REFRESHES) {
      const reason = `token refreshed ${history.length} times in ${REFRESH_WINDOW_MS / 60_000} minutes; the vendor keeps refusing it`;
      await this.markAuthFailed(id, reason);
      throw new AuthFailedError(reason);
    }
  }

  /** The decrypted view a connector works with. */
  async context(
    id: string,
  ): Promise<ConnectionContext & { status: ConnectionStatus; rateLimit: { max: number; windowMs: number } }> {
    const row = await this.row(id);
    const credentials = this.open(row);
    const defaults = VENDOR_DEFAULTS[row.type];
    const baseUrl = row.base_url ?? credentials.instanceUrl ?? defaults.apiBaseUrl ?? credentials.url ?? '';
    return {
      id: row.id,
      type: row.type,
      name: row.name,
      status: row.status,
      baseUrl,
      loginUrl: row.login_url ?? (row.type === 'salesforce' ? (row.base_url ?? defaults.authBaseUrl) : null),
      externalAccountId: row.external_account_id,
      mapping: row.mapping,
      erasureMode: row.erasure_mode,
      credentials,
      rateLimit: { ...DEFAULT_RATE_LIMITS[row.type], ...row.rate_limit },
    };
  }

  /** Whether the access token is due for a refresh (expiring within the margin). */
  static needsRefresh(credentials: ConnectionCredentials, now = Date.now()): boolean {
    if (!credentials.refreshToken || !credentials.expiresAt) return false;
    return Date.parse(credentials.expiresAt) - now < REFRESH_MARGIN_MS;
  }

  /** Connections that must hear of a person's changes: every one not disconnected. */
  async propagationTargets(manager: EntityManager): Promise<{ id: string; status: ConnectionStatus }[]> {
    return manager.query(
      `SELECT id, status FROM connection WHERE status <> 'disconnected' ORDER BY created_at`,
    );
  }

  // ---- which remote record stands for which person ----

  async remoteIds(connectionId: string, subjectIds: readonly string[]): Promise<Map<string, string>> {
    if (subjectIds.length === 0) return new Map();
    const rows: { subject_id: string; remote_id_ciphertext: Buffer; key_id: string }[] =
      await this.dataSource.query(
        `SELECT subject_id, remote_id_ciphertext, key_id FROM connection_record WHERE connection_id = $1 AND subject_id = ANY($2)`,
        [connectionId, subjectIds],
      );
    return new Map(
      rows.map((r) => [
        r.subject_id,
        this.crypto.openText({ ciphertext: r.remote_id_ciphertext, keyId: r.key_id }),
      ]),
    );
  }

  /** A stable, non-identifying key for a remote record (its blind index), for idempotency keys. */
  remoteKey(connectionId: string, remoteId: string): string {
    return this.crypto.blindIndex(`remote:${connectionId}`, remoteId).toString('hex').slice(0, 32);
  }

  async subjectForRemote(
    connectionId: string,
    remoteId: string,
    manager?: EntityManager,
  ): Promise<string | null> {
    const rows: { subject_id: string }[] = await (manager ?? this.dataSource).query(
      `SELECT subject_id FROM connection_record WHERE connection_id = $1 AND remote_id_hash = $2`,
      [connectionId, this.crypto.blindIndex(`remote:${connectionId}`, remoteId)],
    );
    return rows[0]?.subject_id ?? null;
  }

  async lastPushed(
    connectionId: string,
    subjectId: string,
    manager?: EntityManager,
  ): Promise<Record<string, unknown> | null> {
    const rows: { last_pushed: Record<string, unknown> | null }[] = await (manager ?? this.dataSource).query(
      `SELECT last_pushed FROM connection_record WHERE connection_id = $1 AND subject_id = $2`,
      [connectionId, subjectId],
    );
    return rows[0]?.last_pushed ?? null;
  }

  async saveRemote(
    connectionId: string,
    subjectId: string,
    remoteId: string,
    pushed: Record<string, unknown> | null,
    manager?: EntityManager,
  ): Promise<void> {
    const sealed = this.crypto.seal(remoteId);
    await (manager ?? this.dataSource).query(
      `INSERT INTO connection_record (connection_id, subject_id, remote_id_hash, remote_id_ciphertext, key_id, last_pushed)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ON CONSTRAINT pk_connection_record DO UPDATE
         SET remote_id_hash = EXCLUDED.remote_id_hash, remote_id_ciphertext = EXCLUDED.remote_id_ciphertext,
             key_id = EXCLUDED.key_id, last_pushed = coalesce(EXCLUDED.last_pushed, connection_record.last_pushed),
             updated_at = now()`,
      [
        connectionId,
        subjectId,
        this.crypto.blindIndex(`remote:${connectionId}`, remoteId),
        sealed.ciphertext,
        sealed.keyId,
        pushed ? JSON.stringify(pushed) : null,
      ],
    );
  }

  /** saveRemote for a batch, in one statement (the propagation worker records a whole batch at once). */
  async saveRemotes(
    connectionId: string,
    records: readonly { subjectId: string; remoteId: string; pushed: Record<string, unknown> | null }[],
  ): Promise<void> {
    if (records.length === 0) return;
    // One row per person: a later record in the batch wins.
    const bySubject = new Map(records.map((r) => [r.subjectId, r]));
    const rows = [...bySubject.values()];
    const sealed = rows.map((r) => this.crypto.seal(r.remoteId));
    await this.dataSource.query(
      `INSERT INTO connection_record (connection_id, subject_id, remote_id_hash, remote_id_ciphertext, key_id, last_pushed)
       SELECT $1, x.subject_id, x.hash, x.ct, x.key_id, x.pushed
         FROM unnest($2::uuid[], $3::bytea[], $4::bytea[], $5::text[], $6::jsonb[]) AS x(subject_id, hash, ct, key_id, pushed)
       ON CONFLICT ON CONSTRAINT pk_connection_record DO UPDATE
         SET remote_id_hash = EXCLUDED.remote_id_hash, remote_id_ciphertext = EXCLUDED.remote_id_ciphertext,
             key_id = EXCLUDED.key_id, last_pushed = coalesce(EXCLUDED.last_pushed, connection_record.last_pushed),
             updated_at = now()`,
      [
        connectionId,
        rows.map((r) => r.subjectId),
        rows.map((r) => this.crypto.blindIndex(`remote:${connectionId}`, r.remoteId)),
        sealed.map((s) => s.ciphertext),
        sealed.map((s) => s.keyId),
        rows.map((r) => (r.pushed ? JSON.stringify(r.pushed) : null)),
      ],
    );
  }

  /** A Standard Webhooks secret: whsec_ + base64 of 32 random bytes. */
  static newSigningSecret(): string {
    return `whsec_${randomBytes(32).toString('base64')}`;
  }
}
