import {
  AuthExpiredError,
  AuthFailedError,
  type ConnectionContext,
  type ConnectionCredentials,
  PermanentError,
} from '../connector.port';
import type { OutboundGuard } from '../../../platform/http/outbound-guard';
import type { OAuthExchangeResult, OAuthProvider } from '../oauth.port';
import {
  HUBSPOT_OAUTH_OPTIONAL_SCOPES,
  HUBSPOT_OAUTH_SCOPES,
  HUBSPOT_REQUEST_TIMEOUT_MS,
} from './hubspot.constants';
import { classifyHubspotError, createHubspotSdkClient, withTimeout } from './hubspot.sdk';

interface TokenResponse {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/**
 * HubSpot's OAuth web-server flow. Token calls go through the SDK's `tokensApi` (it honours `basePath`);
 * the authorize URL is built here because `getAuthorizationUrl()` hard-codes app.hubspot.com (reference §6).
 * The SDK knows only the v1 endpoints (shut down 2027-02-16): this class is the one place to move to
 * `/oauth/2026-03/token` when the SDK does not.
 */
export class HubspotOAuth implements OAuthProvider {
  constructor(
    private readonly client: { clientId: string; clientSecret: string },
    private readonly outbound: OutboundGuard,
    private readonly options: { timeoutMs?: number; now?: () => number } = {},
  ) {}

  private get timeoutMs() {
    return this.options.timeoutMs ?? HUBSPOT_REQUEST_TIMEOUT_MS;
  }

  private now() {
    return (this.options.now ?? Date.now)();
  }

  authorizeUrl(input: { authBaseUrl: string; redirectUri: string; state: string }): string {
    const url = new URL(`${input.authBaseUrl.replace(/\/+$/, '')}/oauth/authorize`);
    url.searchParams.set('client_id', this.client.clientId);
    url.searchParams.set('redirect_uri', input.redirectUri);
    url.searchParams.set('scope', HUBSPOT_OAUTH_SCOPES.join(' '));
    url.searchParams.set('optional_scope', HUBSPOT_OAUTH_OPTIONAL_SCOPES.join(' '));
    url.searchParams.set('state', input.state);
    return url.toString();
  }

  async exchangeCode(input: {
    apiBaseUrl: string;
    code: string;
    redirectUri: string;
  }): Promise<OAuthExchangeResult> {
    const sdk = createHubspotSdkClient(input.apiBaseUrl, this.outbound);
    let tokens: TokenResponse;
    let hubId: number;
    try {
      tokens = await withTimeout(
        sdk.oauth.tokensApi.create(
          'authorization_code',
          input.code,
          input.redirectUri,
          this.client.clientId,
          this.client.clientSecret,
        ),
        this.timeoutMs,
      );
      // The portal (hub) id is not in the token response; the introspection endpoint has it.
      const info = await withTimeout(sdk.oauth.accessTokensApi.get(tokens.accessToken), this.timeoutMs);
      hubId = info.hubId;
    } catch (error) {
      throw classifyHubspotError(error, this.now());
    }
    return {
      credentials: this.credentials(tokens),
      externalAccountId: hubId === undefined || hubId === null ? null : String(hubId),
    };
  }

  /** New credentials from the refresh token; AuthFailedError when HubSpot refuses it. */
  async refresh(context: ConnectionContext): Promise<ConnectionCredentials> {
    const refreshToken = context.credentials.refreshToken;
    if (!refreshToken) throw new AuthFailedError('The HubSpot connection has no refresh token');
    let tokens: TokenResponse;
    try {
      tokens = await withTimeout(
        createHubspotSdkClient(context.baseUrl, this.outbound).oauth.tokensApi.create(
          'refresh_token',
          undefined,
          undefined,
          this.client.clientId,
          this.client.clientSecret,
          refreshToken,
        ),
        this.timeoutMs,
      );
    } catch (error) {
      const classified = classifyHubspotError(error, this.now());
      // 400 BAD_REFRESH_TOKEN / invalid_grant, or a client HubSpot no longer knows: renewing cannot work.
      if (classified instanceof PermanentError || classified instanceof AuthExpiredError) {
        throw new AuthFailedError(`HubSpot refused the token refresh: ${classified.message}`);
      }
      throw classified;
    }
    return { ...context.credentials, ...this.credentials(tokens, refreshToken) };
  }

  private credentials(tokens: TokenResponse, previousRefreshToken?: string): ConnectionCredentials {
    const expiresIn = Number(tokens.expiresIn);
    return {
      accessToken: tokens.accessToken,
      // HubSpot keeps the refresh token and repeats it; keep the old one should it ever be omitted.
      refreshToken: tokens.refreshToken || previousRefreshToken,
      expiresAt: Number.isFinite(expiresIn) ? new Date(this.now() + expiresIn * 1000).toISOString() : null,
    };
  }
}
