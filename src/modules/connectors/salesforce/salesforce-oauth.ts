import { OAuth2 } from 'jsforce';
import type { TokenResponse } from 'jsforce/lib/oauth2';
import { AuthFailedError, type ConnectionContext, type ConnectionCredentials } from '../connector.port';
import type { OutboundGuard } from '../../../platform/http/outbound-guard';
import type { OAuthExchangeResult, OAuthProvider } from '../oauth.port';
import { pinOAuth2, salesforceHostRefusal } from './salesforce-transport';
import { SALESFORCE_DEFAULT_LOGIN_URL, SALESFORCE_OAUTH_SCOPE } from './salesforce.constants';
import { classifySalesforceError } from './salesforce.errors';

/** The org id in a token response's identity URL: `…/id/<orgId>/<userId>`. */
export function orgIdFromIdentityUrl(idUrl: string | undefined): string | null {
  if (!idUrl) return null;
  const parts = idUrl.replace(/\/+$/, '').split('/');
  const orgId = parts.at(-2);
  return parts.at(-3) === 'id' && orgId && /^00D[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$/.test(orgId)
    ? orgId
    : null;
}

/**
 * Salesforce's OAuth2 web-server flow through jsforce's OAuth2 client. Salesforce's token responses carry no
 * expires_in (session lifetime is an org setting, sliding with use): expiresAt stays null and a 401 triggers the
 * refresh (salesforce.client.ts).
 */
export class SalesforceOAuth implements OAuthProvider {
  constructor(
    private readonly client: { clientId: string; clientSecret: string },
    private readonly outbound: OutboundGuard,
  ) {}

  authorizeUrl(input: { authBaseUrl: string; redirectUri: string; state: string }): string {
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: this.client.clientId,
      redirect_uri: input.redirectUri,
      state: input.state,
      scope: SALESFORCE_OAUTH_SCOPE,
    });
    return `${input.authBaseUrl.replace(/\/+$/, '')}/services/oauth2/authorize?${params.toString()}`;
  }

  async exchangeCode(input: {
    apiBaseUrl: string;
    code: string;
    redirectUri: string;
  }): Promise<OAuthExchangeResult> {
    const oauth2 = this.oauth2(input.apiBaseUrl, input.redirectUri);
    let res: TokenResponse;
    try {
      res = await oauth2.requestToken(input.code);
    } catch (err) {
      throw classifySalesforceError(err);
    }
    if (!res.access_token || !res.instance_url) {
      throw new AuthFailedError('Salesforce token response lacks access_token or instance_url');
    }
    const refusal = salesforceHostRefusal(res.instance_url, this.outbound);
    if (refusal) throw new AuthFailedError(`Salesforce token response refused: ${refusal}`);
    return {
      credentials: {
        accessToken: res.access_token,
        refreshToken: res.refresh_token,
        instanceUrl: res.instance_url,
        expiresAt: null,
      },
      externalAccountId: orgIdFromIdentityUrl(res.id),
    };
  }

  async refresh(context: ConnectionContext): Promise<ConnectionCredentials> {
    const refreshToken = context.credentials.refreshToken;
    if (!refreshToken) throw new AuthFailedError('The Salesforce connection has no refresh token');
    let res: TokenResponse;
    try {
      res = await this.oauth2(context.loginUrl ?? SALESFORCE_DEFAULT_LOGIN_URL).refreshToken(refreshToken);
    } catch (err) {
      throw classifySalesforceError(err);
    }
    const refusal = res.instance_url ? salesforceHostRefusal(res.instance_url, this.outbound) : null;
    if (refusal) throw new AuthFailedError(`Salesforce token response refused: ${refusal}`);
    return {
      ...context.credentials,
      accessToken: res.access_token,
      // Salesforce keeps the refresh token unless the connected app rotates it.
      refreshToken: res.refresh_token ?? refreshToken,
      instanceUrl: res.instance_url ?? context.credentials.instanceUrl,
      expiresAt: null,
    };
  }

  private oauth2(loginUrl: string, redirectUri?: string): OAuth2 {
    return pinOAuth2(
      new OAuth2({
        loginUrl: loginUrl.replace(/\/+$/, ''),
        clientId: this.client.clientId,
        clientSecret: this.client.clientSecret,
        redirectUri,
      }),
      this.outbound,
    );
  }
}
