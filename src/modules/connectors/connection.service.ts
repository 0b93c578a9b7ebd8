import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { CryptoService, sealedAt } from '../../platform/crypto/crypto.service';
import { OutboundGuard, OutboundUrlError } from '../../platform/http/outbound-guard';
import { VendorDirectory } from '../vendors';
import {
  ConnectionInvalidError,
  ConnectionNotFoundError,
  DuplicateConnectionError,
} from './connection.errors';
import { ConnectionRepository, type ConnectionRow } from './connection.repository';
import {
  AuthFailedError,
  type ConnectionContext,
  type ConnectionCredentials,
  type ConnectionType,
  type ErasureMode,
} from './connector.port';
import type { ConnectionStatus } from './entities/connection.entity';
import { salesforceHostRefusal } from './salesforce/salesforce-transport';
import { belongsToVendor, destinationOf } from './vendor-attachment';
import { DEFAULT_RATE_LIMITS, VENDOR_DEFAULTS } from './vendor-defaults';

export type { ConnectionStatus } from './entities/connection.entity';

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
  /** Connect an account that a live connection already reaches (every change is then pushed to it twice). */
  allowDuplicate?: boolean;
}

export interface ConnectionPatch {
  name?: string;
  status?: 'active' | 'paused';
  mapping?: Record<string, unknown>;
  erasureMode?: ErasureMode;
  rateLimit?: { max: number; windowMs: number };
  /** Region of national numbers at this account; null clears it (DEFAULT_PHONE_REGION applies). */
  phoneRegion?: string | null;
}

/** Where a connection's credentials live (associated data): bound to the connection. */
export function credentialsPlace(connectionId: string): string {
  return sealedAt('connection', 'credentials', connectionId);
}

/** A token is refreshed this long before it expires. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** Refresh-loop guard: more refreshes than this within the window mark the connection auth_failed. */
const MAX_REFRESHES = 5;
const REFRESH_WINDOW_MS = 10 * 60_000;

/** A connection as the API shows it; `vendorName` comes from the vendors module. */
export function view(row: ConnectionRow, vendorName: string, endpointUrl: string | null = null) {
  return {
    id: row.id,
    vendor_id: row.vendor_id,
    vendor_name: vendorName,
    type: row.type,
    name: row.name,
    status: row.status,
    base_url: row.base_url,
    login_url: row.login_url,
    external_account_id: row.external_account_id,
    mapping: row.mapping,
    erasure_mode: row.erasure_mode,
    rate_limit: { ...DEFAULT_RATE_LIMITS[row.type], ...row.rate_limit },
    phone_region: row.phone_region,
    token_expires_at: row.token_expires_at ? new Date(row.token_expires_at).toISOString() : null,
    last_error: row.last_error,
    last_test_at: row.last_test_at ? new Date(row.last_test_at).toISOString() : null,
    last_test_result: row.last_test_result,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    disconnected_at: row.disconnected_at ? new Date(row.disconnected_at).toISOString() : null,
    /** A webhook processor's endpoint (shown so an admin can check where changes go); null for CRMs. */
    endpoint_url: endpointUrl,
  };
}

const ACCOUNT_NOUN: Record<ConnectionType, string> = {
  hubspot: 'HubSpot portal',
  salesforce: 'Salesforce org',
  webhook: 'endpoint',
};

export type ConnectionView = ReturnType<typeof view>;

/**
 * Connected accounts: their encrypted credentials and where they point. The only place credentials are
 * decrypted (which record stands for which person: RecordLinks).
 */
@Injectable()
export class ConnectionService {
  private readonly logger = new Logger(ConnectionService.name);

  constructor(
    private readonly rows: ConnectionRepository,
    private readonly crypto: CryptoService,
    private readonly guard: OutboundGuard,
    private readonly vendors: VendorDirectory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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

  /**
   * A Salesforce instance_url given with a token: Salesforce's own https hosts (or an allow-listed sandbox), never
   * an arbitrary host, so a pasted credential cannot point the gateway inside the network.
   */
  checkSalesforceInstance(raw: string): string {
    const refusal = salesforceHostRefusal(raw, this.guard);
    if (refusal) {
      throw new ConnectionInvalidError(`credentials.instance_url: ${refusal}`, [
        { field: 'credentials.instance_url', message: refusal },
      ]);
    }
    return new URL(raw).toString().replace(/\/$/, '');
  }

  async checkWebhookUrl(raw: string): Promise<string> {
    try {
      return (await this.guard.check(raw)).toString();
    } catch (error) {
      const message = error instanceof OutboundUrlError ? error.message : 'is not allowed';
      throw new ConnectionInvalidError(`credentials.url ${message}`, [{ field: 'credentials.url', message }]);
    }
  }

  /** Sealed and bound to the connection (associated data): copied to another connection, it does not open. */
  private seal(id: string, credentials: ConnectionCredentials) {
    return this.crypto.seal(JSON.stringify(credentials), credentialsPlace(id));
  }

  private open(row: Pick<ConnectionRow, 'id' | 'credentials' | 'key_id'>): ConnectionCredentials {
    return JSON.parse(
      this.crypto.openText({ ciphertext: row.credentials, keyId: row.key_id }, credentialsPlace(row.id)),
    ) as ConnectionCredentials;
  }

  /**
   * The vendor a new connection is recorded under (the DPA gate decides on the vendor's DPA). Nothing joins an
   * existing vendor by name: without `vendorId` the connection gets a vendor record of its own, without a DPA.
   * `vendorId` (which the caller may pass only with registry:write, ConnectionAdminService) is honoured only
   * when the connection belongs to that vendor (belongsToVendor); otherwise it too gets a vendor of its own.
   */
  private async vendorFor(manager: EntityManager, input: NewConnection): Promise<string> {
    const destination = destinationOf(input.type, input.baseUrl ?? null, input.credentials);
    if (input.vendorId) {
      const vendor = await this.vendors.attachable(manager, input.vendorId);
      if (!vendor)
        throw new ConnectionInvalidError('No such vendor', [
          { field: 'vendor_id', message: 'names no vendor' },
        ]);
      const connections = (await this.rows.ofVendor(manager, input.vendorId)).map((row) =>
        destinationOf(row.type, row.base_url, this.open(row)),
      );
      if (belongsToVendor(destination, { website: vendor.website, connections })) return input.vendorId;
      this.logger.warn(
        { vendorId: input.vendorId, type: input.type },
        'connection does not belong to the vendor it named; recorded under a vendor of its own',
      );
    }
    const name = input.type === 'webhook' ? input.name : VENDOR_DEFAULTS[input.type].vendorName;
    return this.vendors.createForConnection(
      manager,
      name,
      `${input.type} at ${destination.host || 'unknown host'}`,
      input.type,
    );
  }

  /**
   * Creates the connection and its vendor record in one transaction; `within` runs in that transaction first
   * (the OAuth callback records its state's nonce there, so a replayed state creates nothing).
   */
  async create(
    input: NewConnection,
    within?: (manager: EntityManager) => Promise<void>,
  ): Promise<ConnectionView> {
    // The id is made here so that the credentials can be bound to the connection.
    const newId = randomUUID();
    const sealed = this.seal(newId, input.credentials);
    const id = await this.rows.transaction(async (manager) => {
      if (within) await within(manager);
      if (input.externalAccountId && !input.allowDuplicate)
        await this.refuseDuplicate(manager, input.type, input.externalAccountId);
      const vendorId = await this.vendorFor(manager, input);
      return this.rows.insert(manager, {
        id: newId,
        vendorId,
        type: input.type,
        name: input.name,
        baseUrl: input.baseUrl ?? null,
        loginUrl: input.loginUrl ?? null,
        credentials: sealed.ciphertext,
        keyId: sealed.keyId,
        tokenExpiresAt: input.credentials.expiresAt ?? null,
        externalAccountId: input.externalAccountId ?? null,
        mapping: input.mapping ?? {},
        erasureMode: input.erasureMode ?? (input.type === 'hubspot' ? 'vendor_gdpr_delete' : 'hard_delete'),
        rateLimit: input.rateLimit ?? {},
      });
    });
    return this.get(id);
  }

  /** A second live connection to one account pushes every change twice: refused unless confirmed. */
  private async refuseDuplicate(manager: EntityManager, type: ConnectionType, accountId: string) {
    const existing = await this.rows.liveOfAccount(manager, type, accountId);
    if (!existing) return;
    throw new DuplicateConnectionError(
      `${ACCOUNT_NOUN[type]} ${accountId} is already connected as "${existing.name}" (connection ${existing.id}); ` +
        'a second connection would push every change to it twice.',
      existing,
    );
  }

  private async row(id: string): Promise<ConnectionRow> {
    const row = await this.rows.find(id);
    if (!row) throw new ConnectionNotFoundError(`No connection ${id}`);
    return row;
  }

  async get(id: string): Promise<ConnectionView> {
    return (await this.views([await this.row(id)]))[0];
  }

  async list(filter: { type?: ConnectionType; status?: ConnectionStatus } = {}): Promise<ConnectionView[]> {
    return this.views(await this.rows.list(filter));
  }

  /** The API's view of these rows, with their vendors' names (one read of the vendors module for all). */
  private async views(rows: readonly ConnectionRow[]): Promise<ConnectionView[]> {
    if (rows.length === 0) return [];
    const names = await this.vendors.namesOf(rows.map((r) => r.vendor_id));
    return rows.map((r) =>
      view(r, names.get(r.vendor_id)!, r.type === 'webhook' ? this.endpointOf(r) : null),
    );
  }

  /** The URL a webhook processor's changes are sent to (sealed with its signing secret; only the URL leaves). */
  private endpointOf(row: ConnectionRow): string | null {
    try {
      return this.open(row).url ?? null;
    } catch {
      return null;
    }
  }

  async update(id: string, patch: ConnectionPatch): Promise<ConnectionView> {
    const row = await this.row(id);
    if (patch.status && row.status === 'disconnected') {
      throw new ConnectionInvalidError('A disconnected connection cannot be resumed; connect it again.', [
        { field: 'status', message: 'connection is disconnected' },
      ]);
    }
    await this.rows.patch(id, {
      name: patch.name ?? null,
      status: patch.status ?? null,
      mapping: patch.mapping ? { ...row.mapping, ...patch.mapping } : null,
      erasureMode: patch.erasureMode ?? null,
      rateLimit: patch.rateLimit ?? null,
      phoneRegion: patch.phoneRegion,
    });
    return this.get(id);
  }

  /**
   * Stops propagating to the connection. Its credentials are kept: an erasure must still reach a
   * processor that held the person's data, for as long as the credentials work.
   */
  async disconnect(id: string): Promise<ConnectionView> {
    await this.row(id);
    await this.rows.markDisconnected(id);
    return this.get(id);
  }

  async recordTest(id: string, result: { ok: boolean; detail: string }): Promise<void> {
    await this.rows.recordTest(id, result);
  }

  async saveMapping(id: string, mapping: Record<string, unknown>): Promise<void> {
    await this.rows.mergeMapping(id, mapping);
  }

  async setExternalAccountId(id: string, externalAccountId: string): Promise<void> {
    await this.rows.setExternalAccountId(id, externalAccountId);
  }

  async saveCursor(id: string, cursor: Record<string, unknown>, manager?: EntityManager): Promise<void> {
    await this.rows.mergeCursor(id, cursor, manager);
  }

  async syncCursor(id: string): Promise<Record<string, unknown>> {
    return (await this.row(id)).sync_cursor;
  }

  async saveCredentials(id: string, credentials: ConnectionCredentials): Promise<void> {
    await this.rows.saveCredentials(id, this.seal(id, credentials), credentials.expiresAt ?? null);
  }

  async markAuthFailed(id: string, reason: string): Promise<void> {
    this.logger.warn({ connectionId: id }, 'connection marked auth_failed');
    await this.rows.markAuthFailed(id, reason);
  }

  /**
   * Records a token refresh; refuses (and marks the connection auth_failed) when refreshes come too
   * often, which is what an endless refresh/401 loop looks like.
   */
  async guardRefresh(id: string): Promise<void> {
    const history = await this.rows.recordRefresh(id, REFRESH_WINDOW_MS / 1000);
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
      phoneRegion: row.phone_region ?? this.config.defaultPhoneRegion,
      rateLimit: { ...DEFAULT_RATE_LIMITS[row.type], ...row.rate_limit },
    };
  }

  /**
   * The context of a connection not created yet, to ask the vendor which account its credentials reach before
   * anything is stored. Nothing is saved from it: a refresh it triggered would find no row to update.
   */
  draftContext(input: NewConnection): ConnectionContext {
    const defaults = VENDOR_DEFAULTS[input.type];
    return {
      id: randomUUID(),
      type: input.type,
      name: input.name,
      baseUrl:
        input.baseUrl ?? input.credentials.instanceUrl ?? defaults.apiBaseUrl ?? input.credentials.url ?? '',
      loginUrl:
        input.loginUrl ?? (input.type === 'salesforce' ? (input.baseUrl ?? defaults.authBaseUrl) : null),
      externalAccountId: null,
      mapping: input.mapping ?? {},
      erasureMode: input.erasureMode ?? 'hard_delete',
      credentials: input.credentials,
      phoneRegion: this.config.defaultPhoneRegion,
    };
  }

  /** Whether the access token is due for a refresh (expiring within the margin). */
  static needsRefresh(credentials: ConnectionCredentials, now = Date.now()): boolean {
    if (!credentials.refreshToken || !credentials.expiresAt) return false;
    return Date.parse(credentials.expiresAt) - now < REFRESH_MARGIN_MS;
  }

  /** Connections that must hear of a person's changes: every one not disconnected. */
  propagationTargets(manager: EntityManager): Promise<{ id: string; status: ConnectionStatus }[]> {
    return this.rows.propagationTargets(manager);
  }

  /** A Standard Webhooks secret: whsec_ + base64 of 32 random bytes. */
  static newSigningSecret(): string {
    return `whsec_${randomBytes(32).toString('base64')}`;
  }
}
