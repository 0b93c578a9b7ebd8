import type { Client } from '@hubspot/api-client';
import { ConnectionService } from '../connection.service';
import {
  AuthExpiredError,
  type ConnectionContext,
  type ConnectionCredentials,
  type ConnectorDeps,
} from '../connector.port';
import { HUBSPOT_REQUEST_TIMEOUT_MS, HUBSPOT_SEARCH_MIN_INTERVAL_MS } from './hubspot.constants';
import { HubspotOAuth } from './hubspot-oauth';
import {
  classifyHubspotError,
  createHubspotSdkClient,
  HubspotResponseError,
  withTimeout,
} from './hubspot.sdk';

export interface HubspotClientOptions {
  /** Abandon a call after this long (default 20 s). */
  timeoutMs?: number;
  now?: () => number;
}

/**
 * CRM search has its own limit of 5 requests per second per portal (reference §7) on top of the burst
 * budget `deps.pace` waits for. Searches of one portal made by this process are spaced out here; another
 * process's searches are not seen, and a "secondly" 429 still comes back as RateLimitedError(1 s).
 */
const nextSearchAt = new Map<string, number>();

async function paceSearch(key: string): Promise<void> {
  const now = Date.now();
  const at = Math.max(now, nextSearchAt.get(key) ?? 0);
  nextSearchAt.set(key, at + HUBSPOT_SEARCH_MIN_INTERVAL_MS);
  if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
}

export interface HubspotRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  qs?: Record<string, string>;
}

/**
 * One connection's access to HubSpot for one unit of work: builds the SDK client, paces, bounds and
 * classifies every call, and keeps the token fresh (before the work when it is about to expire, and once
 * on a 401). Refreshed credentials are handed to `deps.onCredentials` for the caller to persist.
 */
export class HubspotClient {
  private credentials: ConnectionCredentials;
  private sdk: Client | null = null;
  private refreshed = false;
  private readonly oauth: HubspotOAuth | null;

  constructor(
    private readonly context: ConnectionContext,
    private readonly deps: ConnectorDeps,
    private readonly options: HubspotClientOptions = {},
  ) {
    this.credentials = { ...context.credentials };
    this.oauth = deps.oauthClient ? new HubspotOAuth(deps.oauthClient, deps.outbound, options) : null;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? HUBSPOT_REQUEST_TIMEOUT_MS;
  }

  private canRefresh(): boolean {
    return !!this.oauth && !!this.credentials.refreshToken;
  }

  /** Starts a unit of work: a fresh SDK client, and a refresh first when the token is about to expire. */
  async begin(): Promise<void> {
    this.sdk = null;
    this.refreshed = false;
    if (this.canRefresh() && ConnectionService.needsRefresh(this.credentials, this.now())) {
      await this.refresh();
    }
  }

  private client(): Client {
    this.sdk ??= createHubspotSdkClient(
      this.context.baseUrl,
      this.deps.outbound,
      this.credentials.accessToken,
    );
    return this.sdk;
  }

  private async refresh(): Promise<void> {
    // At most one refresh per unit of work: a 401 right after a refresh is not cured by another.
    this.refreshed = true;
    if (!this.oauth) throw new AuthExpiredError('HubSpot token expired and no OAuth client is configured');
    await this.deps.beforeRefresh();
    await this.deps.pace();
    const credentials = await this.oauth.refresh({ ...this.context, credentials: this.credentials });
    this.credentials = credentials;
    this.sdk = null;
    await this.deps.onCredentials(credentials);
  }

  private async attempt<T>(fn: (client: Client) => Promise<T>, search: boolean): Promise<T> {
    if (search)
      await paceSearch(`${this.context.baseUrl}#${this.context.externalAccountId ?? this.context.id}`);
    await this.deps.pace();
    return withTimeout(fn(this.client()), this.timeoutMs);
  }

  /**
   * One HubSpot request through the SDK: paced, bounded in time and classified once. On a 401 the token
   * is refreshed (once per unit of work, when there is a refresh token) and the request retried once.
   */
  async call<T>(fn: (client: Client) => Promise<T>, options: { search?: boolean } = {}): Promise<T> {
    const search = options.search ?? false;
    try {
      return await this.attempt(fn, search);
    } catch (error) {
      const classified = classifyHubspotError(error, this.now());
      if (!(classified instanceof AuthExpiredError) || this.refreshed || !this.canRefresh()) throw classified;
      await this.refresh();
      try {
        return await this.attempt(fn, search);
      } catch (retryError) {
        throw classifyHubspotError(retryError, this.now());
      }
    }
  }

  /**
   * `apiRequest`, for endpoints the SDK lacks (communication preferences v4). It never throws on 4xx/5xx
   * and is never retried by the SDK (gotchas), so the status is checked here and failures classified.
   */
  async request<T>(req: HubspotRequest): Promise<T | null> {
    return this.call(async (client) => {
      const res = await client.apiRequest({ method: req.method, path: req.path, body: req.body, qs: req.qs });
      const text = await res.text();
      let body: unknown = null;
      if (text.length > 0) {
        try {
          body = JSON.parse(text) as unknown;
        } catch {
          body = text;
        }
      }
      if (!res.ok) {
        const headers: Record<string, string> = {};
        res.headers.forEach((value, name) => {
          headers[name.toLowerCase()] = value;
        });
        throw new HubspotResponseError(res.status, body, headers);
      }
      return body as T | null;
    });
  }
}
