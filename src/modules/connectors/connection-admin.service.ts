import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { ApiPrincipal } from '../../platform/http/auth.decorators';
import { BackfillService } from './backfill.service';
import {
  ConnectionInvalidError,
  OAuthStateError,
  ProviderNotConfiguredError,
  VendorAttachForbiddenError,
} from './connection.errors';
import { ConnectionService, type ConnectionView, type NewConnection } from './connection.service';
import { refuseUnknownMappingKeys } from './mapping-keys';
import { ConnectorFactory } from './connector.factory';
import type { ConnectionCredentials, ConnectionType } from './connector.port';
import type { CreateConnectionDto, UpdateConnectionDto } from './dto/connection.dto';
import {
  OAuthStateCodec,
  type OAuthCallbackCredentials,
  type OAuthStarter,
  type OAuthStatePayload,
} from './oauth-state';
import { OAuthStateNonceRepository } from './oauth-state-nonce.repository';
import { VENDOR_DEFAULTS } from './vendor-defaults';
import { testFailure } from './test-outcome';

/** How long an OAuth flow may take from /authorize to the callback (also the binding cookie's lifetime). */
export const STATE_TTL_MS = 10 * 60_000;

/** Who starts an OAuth flow or creates a connection: their scopes, and for a console user the session token. */
interface ConnectionCaller {
  principal: Pick<ApiPrincipal, 'kind' | 'keyId' | 'scopes'>;
  /** The console session cookie's token, when the caller is a signed-in user. */
  sessionToken?: string | null;
}

/** Called after a connection is set active again (resumed): work held for it may go out now. */
export type ConnectionResumedHook = (connectionId: string) => Promise<void>;

/** Connecting, changing, testing and disconnecting accounts: what an admin does, through the API or console. */
@Injectable()
export class ConnectionAdminService {
  private readonly resumedHooks: ConnectionResumedHook[] = [];

  private readonly logger = new Logger(ConnectionAdminService.name);
  private readonly states: OAuthStateCodec;

  constructor(
    private readonly connections: ConnectionService,
    private readonly factory: ConnectorFactory,
    private readonly backfills: BackfillService,
    private readonly nonces: OAuthStateNonceRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.states = new OAuthStateCodec(config.oauthStateKey);
  }

  /**
   * Naming a vendor joins the connection to that vendor's DPA: a registry decision, so it needs registry:write
   * (a crm_admin may connect accounts, not vouch for where their data goes). Without vendor_id the connection
   * gets a vendor record of its own (ConnectionService.vendorFor).
   */
  private requireVendorAttach(vendorId: string | null | undefined, caller: ConnectionCaller): void {
    if (vendorId && !caller.principal.scopes.includes('registry:write'))
      throw new VendorAttachForbiddenError(
        'Attaching a connection to a registry vendor needs the scope registry:write; omit vendor_id and the connection gets a vendor record of its own.',
        [{ field: 'vendor_id', message: 'needs the scope registry:write' }],
      );
  }

  private requireCredential(value: string | undefined, field: string): string {
    if (!value)
      throw new ConnectionInvalidError(`${field} is required`, [
        { field, message: 'is required for this type' },
      ]);
    return value;
  }

  async create(
    dto: CreateConnectionDto,
    caller: ConnectionCaller,
  ): Promise<ConnectionView & { signing_secret?: string }> {
    this.requireVendorAttach(dto.vendor_id, caller);
    const baseUrl = this.connections.checkOverride('base_url', dto.base_url);
    const loginUrl = this.connections.checkOverride('login_url', dto.login_url);
    let credentials: ConnectionCredentials;
    let signingSecret: string | undefined;
    switch (dto.type) {
      case 'hubspot':
        credentials = {
          accessToken: this.requireCredential(dto.credentials.access_token, 'credentials.access_token'),
          refreshToken: dto.credentials.refresh_token,
          expiresAt: dto.credentials.expires_at ?? null,
        };
        break;
      case 'salesforce': {
        const instance = this.connections.checkSalesforceInstance(
          this.requireCredential(dto.credentials.instance_url, 'credentials.instance_url'),
        );
        credentials = {
          accessToken: this.requireCredential(dto.credentials.access_token, 'credentials.access_token'),
          refreshToken: dto.credentials.refresh_token,
          instanceUrl: instance,
          expiresAt: dto.credentials.expires_at ?? null,
        };
        break;
      }
      case 'webhook':
        signingSecret = ConnectionService.newSigningSecret();
        credentials = {
          url: await this.connections.checkWebhookUrl(
            this.requireCredential(dto.credentials.url, 'credentials.url'),
          ),
          signingSecret,
        };
        break;
    }
    const input = {
      type: dto.type,
      name: dto.name,
      vendorId: dto.vendor_id,
      baseUrl,
      loginUrl,
      credentials,
      erasureMode: dto.erasure_mode,
      rateLimit: dto.rate_limit ? { max: dto.rate_limit.max, windowMs: dto.rate_limit.window_ms } : null,
      allowDuplicate: dto.allow_duplicate === true,
    };
    const created = await this.connections.create({
      ...input,
      externalAccountId: await this.accountOf(input),
    });
    const ready = await this.afterConnect(created.id);
    return signingSecret ? { ...ready, signing_secret: signingSecret } : ready;
  }

  /**
   * Which account a token reaches (a HubSpot portal), asked before the connection is stored so that a second
   * connection to it can be refused. A token the vendor refuses identifies nothing: the connection is created and
   * its failed test says why, as before.
   */
  private async accountOf(input: NewConnection): Promise<string | null> {
    if (input.type === 'webhook') return null;
    try {
      const connector = this.factory.create(this.connections.draftContext(input));
      return connector.accountId ? await connector.accountId() : null;
    } catch (error) {
      this.logger.warn(
        { type: input.type, err: error },
        'the account of a new connection could not be identified',
      );
      return null;
    }
  }

  /** Which OAuth flows the gateway can offer, and for the others the settings that are missing. */
  oauthProviders() {
    return (['hubspot', 'salesforce'] as const).map((type) => {
      const prefix = type.toUpperCase();
      const app = type === 'hubspot' ? this.config.hubspot : this.config.salesforce;
      const missing = [
        ...(app.clientId ? [] : [`${prefix}_CLIENT_ID`]),
        ...(app.clientSecret ? [] : [`${prefix}_CLIENT_SECRET`]),
      ];
      return { type, configured: missing.length === 0, missing, redirect_uri: this.redirectUri(type) };
    });
  }

  /** On connect: create the vendor-side mapping, test the account, and import existing consent. */
  private async afterConnect(id: string): Promise<ConnectionView> {
    const context = await this.connections.context(id);
    const connector = this.factory.create(context);
    try {
      const mapping = await connector.ensureSetup();
      if (Object.keys(mapping).length) await this.connections.saveMapping(id, mapping);
      // A private-app token does not say which account it belongs to; setup asks the vendor.
      if (!context.externalAccountId && typeof mapping.portalId === 'string') {
        await this.connections.setExternalAccountId(id, mapping.portalId);
      }
      await this.connections.recordTest(id, await connector.test());
    } catch (error) {
      await this.connections.recordTest(id, testFailure(error));
    }
    if (context.type !== 'webhook') await this.backfills.start(id);
    return this.connections.get(id);
  }

  /** Registers work to do when a connection resumes (propagation drains what waited for it). */
  onResumed(hook: ConnectionResumedHook): void {
    this.resumedHooks.push(hook);
  }

  async update(id: string, dto: UpdateConnectionDto): Promise<ConnectionView> {
    if (dto.mapping) refuseUnknownMappingKeys((await this.connections.get(id)).type, dto.mapping);
    const updated = await this.connections.update(id, {
      name: dto.name,
      status: dto.status,
      mapping: dto.mapping,
      erasureMode: dto.erasure_mode,
      rateLimit: dto.rate_limit ? { max: dto.rate_limit.max, windowMs: dto.rate_limit.window_ms } : undefined,
      phoneRegion: dto.phone_region === undefined ? undefined : (dto.phone_region?.toUpperCase() ?? null),
    });
    if (dto.status === 'active') {
      for (const hook of this.resumedHooks) await hook(id);
    }
    return updated;
  }

  async test(id: string) {
    const context = await this.connections.context(id);
    let result: { ok: boolean; detail: string };
    try {
      result = await this.factory.create(context).test();
    } catch (error) {
      result = testFailure(error);
    }
    await this.connections.recordTest(id, result);
    return { ...result, tested_at: new Date().toISOString() };
  }

  // ---- OAuth web-server flow ----

  redirectUri(type: ConnectionType): string {
    return `${this.config.publicBaseUrl}/v1/connections/oauth/${type}/callback`;
  }

  /**
   * Starts an OAuth flow: the vendor's consent-screen URL, carrying a signed state bound to whoever asked, and
   * the binding value /authorize sets as a cookie (OAUTH_BINDING_COOKIE) on the client that asked. The state
   * completes one flow, once, for that caller (completeOAuth).
   */
  authorize(
    type: 'hubspot' | 'salesforce',
    input: { name: string; vendorId?: string; baseUrl?: string; loginUrl?: string; allowDuplicate?: boolean },
    caller: ConnectionCaller,
  ): { url: string; binding: string } {
    const provider = this.factory.oauthProvider(type);
    if (!provider) {
      throw new ProviderNotConfiguredError(
        `${type} OAuth is not configured: set ${type.toUpperCase()}_CLIENT_ID and ${type.toUpperCase()}_CLIENT_SECRET`,
      );
    }
    this.requireVendorAttach(input.vendorId, caller);
    const baseUrl = this.connections.checkOverride('base_url', input.baseUrl);
    const loginUrl = this.connections.checkOverride('login_url', input.loginUrl);
    const binding = OAuthStateCodec.randomToken();
    const startedBy: OAuthStarter =
      caller.principal.kind === 'user' && caller.sessionToken
        ? { kind: 'session', sessionMac: this.states.mac('session', caller.sessionToken) }
        : { kind: 'api_key', keyId: caller.principal.keyId };
    const state = this.states.encode({
      type,
      name: input.name,
      baseUrl,
      loginUrl,
      vendorId: input.vendorId ?? null,
      expiresAt: Date.now() + STATE_TTL_MS,
      nonce: OAuthStateCodec.randomToken(),
      startedBy,
      bindingMac: this.states.mac('binding', binding),
      allowDuplicate: input.allowDuplicate === true,
    });
    const authBaseUrl =
      type === 'salesforce'
        ? (loginUrl ?? baseUrl ?? VENDOR_DEFAULTS.salesforce.authBaseUrl!)
        : (baseUrl ?? VENDOR_DEFAULTS.hubspot.authBaseUrl!);
    return {
      url: provider.authorizeUrl({ authBaseUrl, redirectUri: this.redirectUri(type), state }),
      binding,
    };
  }

  /**
   * The state of a callback, checked before anything is asked of the vendor: signed with the state key, not
   * expired, for this provider, presented by whoever started the flow, and not used before.
   */
  private async acceptedState(
    type: 'hubspot' | 'salesforce',
    state: string,
    presented: OAuthCallbackCredentials,
  ): Promise<OAuthStatePayload> {
    const refused = (message: string) =>
      new OAuthStateError(`The OAuth state ${message}; start the connection again.`, [
        { field: 'state', message },
      ]);
    const payload = this.states.decode(state);
    if (!payload || payload.type !== type) throw refused('is invalid or expired');
    if (!this.states.presentedBy(payload, presented))
      throw refused('belongs to a flow started by another session or client');
    if (payload.startedBy.kind === 'api_key' && !(await presented.isKeyActive(payload.startedBy.keyId)))
      throw refused('was started with an API key that has since been revoked');
    if (await this.nonces.isUsed(payload.nonce)) throw refused('has already been used');
    return payload;
  }

  async completeOAuth(
    type: 'hubspot' | 'salesforce',
    code: string,
    state: string,
    presented: OAuthCallbackCredentials,
  ): Promise<ConnectionView> {
    return this.completeOAuthFlow(type, code, await this.acceptedState(type, state, presented));
  }

  /** The state's payload, for a callback that must say where a refused flow should resume (the console). */
  payloadOf(type: 'hubspot' | 'salesforce', state: string): OAuthStatePayload | null {
    const payload = this.states.decode(state);
    return payload && payload.type === type ? payload : null;
  }

  private async completeOAuthFlow(
    type: 'hubspot' | 'salesforce',
    code: string,
    payload: OAuthStatePayload,
  ): Promise<ConnectionView> {
    const provider = this.factory.oauthProvider(type);
    if (!provider) throw new ProviderNotConfiguredError(`${type} OAuth is not configured`);
    const apiBaseUrl =
      type === 'salesforce'
        ? (payload.loginUrl ?? payload.baseUrl ?? VENDOR_DEFAULTS.salesforce.authBaseUrl!)
        : (payload.baseUrl ?? VENDOR_DEFAULTS.hubspot.apiBaseUrl!);
    let result: Awaited<ReturnType<typeof provider.exchangeCode>>;
    try {
      result = await provider.exchangeCode({ apiBaseUrl, code, redirectUri: this.redirectUri(type) });
    } catch (error) {
      // A code the vendor refuses (reused, expired, forged) is the caller's problem, not a server error.
      throw new OAuthStateError(`The ${type} authorization code was refused: ${(error as Error).message}`, [
        { field: 'code', message: 'refused by the vendor; start the connection again' },
      ]);
    }
    if (type === 'salesforce' && result.credentials.instanceUrl) {
      // The instance a token is for must itself be an allowed host when it is not Salesforce's own.
      const instance = new URL(result.credentials.instanceUrl);
      if (!instance.hostname.endsWith('.salesforce.com') && !instance.hostname.endsWith('.force.com')) {
        this.connections.checkOverride('base_url', result.credentials.instanceUrl);
      }
    }
    const created = await this.connections.create(
      {
        type,
        name: payload.name,
        vendorId: payload.vendorId,
        baseUrl: payload.baseUrl,
        loginUrl: payload.loginUrl,
        credentials: result.credentials,
        externalAccountId: result.externalAccountId,
        allowDuplicate: payload.allowDuplicate === true,
      },
      // The nonce is recorded in the transaction that creates the connection: of two callbacks racing with
      // one state, the second's insert conflicts and its transaction (and connection) rolls back.
      async (manager) => {
        if (!(await this.nonces.consume(manager, payload.nonce, new Date(payload.expiresAt))))
          throw new OAuthStateError('The OAuth state has already been used; start the connection again.', [
            { field: 'state', message: 'has already been used' },
          ]);
      },
    );
    this.logger.log({ connectionId: created.id, type }, 'connected by OAuth');
    return this.afterConnect(created.id);
  }
}
