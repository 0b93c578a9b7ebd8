import type { ConnectionContext, ConnectionCredentials } from './connector.port';

export interface OAuthExchangeResult {
  credentials: ConnectionCredentials;
  /** HubSpot portal (hub) id or Salesforce org id. */
  externalAccountId: string | null;
}

/** One OAuth web-server flow per provider that has one. */
export interface OAuthProvider {
  /** Where the admin's browser is sent to approve the connection. */
  authorizeUrl(input: { authBaseUrl: string; redirectUri: string; state: string }): string;
  exchangeCode(input: {
    apiBaseUrl: string;
    code: string;
    redirectUri: string;
  }): Promise<OAuthExchangeResult>;
  /** New credentials from the refresh token; throws AuthFailedError when the vendor refuses. */
  refresh(context: ConnectionContext): Promise<ConnectionCredentials>;
}
