import { Connection } from 'jsforce';
import type { TokenResponse } from 'jsforce/lib/oauth2';
import {
  AuthFailedError,
  PermanentError,
  TransientError,
  type ConnectionContext,
  type ConnectionCredentials,
  type ConnectorDeps,
} from '../connector.port';
import {
  MAX_REFRESHES_PER_UNIT_OF_WORK,
  SALESFORCE_API_VERSION,
  SALESFORCE_CHUNK_SIZE,
  SALESFORCE_DEFAULT_LOGIN_URL,
  SALESFORCE_REQUEST_TIMEOUT_MS,
} from './salesforce.constants';
import { classifySalesforceError, withoutPersonalData } from './salesforce.errors';
import type { SaveResultRow } from './salesforce.types';
import { pinConnection, salesforceHostRefusal } from './salesforce-transport';

export interface SalesforceClientOptions {
  /** Bound on every call (jsforce's own fetch timeout is 30 minutes). Default 30 s. */
  requestTimeoutMs?: number;
}

export interface QueryPage<T> {
  records: T[];
  done: boolean;
  /** Locator of the next batch (queryMore), when not done. */
  nextRecordsUrl?: string;
}

const REFRESH_FAILED_PREFIX = 'Unable to refresh session due to:';

/**
 * One jsforce Connection for one unit of work (a push, a poll, a page of a backfill): built from the stored
 * credentials, paced before every request, bounded in time, allowed one token refresh, and with every failure
 * classified once (salesforce.errors.ts). Refreshed credentials are persisted through deps.onCredentials before
 * the failed request is replayed, and kept in `credentials` for the next unit of work.
 */
export class SalesforceClient {
  private readonly conn: Connection;
  private readonly timeoutMs: number;
  private refreshes = 0;
  /** The real cause of a failed refresh: jsforce rethrows it as a plain Error with only its message. */
  private refreshFailure: unknown = null;
  private current: ConnectionCredentials;

  constructor(
    context: ConnectionContext,
    private readonly deps: ConnectorDeps,
    options: SalesforceClientOptions = {},
  ) {
    this.timeoutMs = options.requestTimeoutMs ?? SALESFORCE_REQUEST_TIMEOUT_MS;
    this.current = { ...context.credentials };
    const oauth = deps.oauthClient;
    const loginUrl = context.loginUrl ?? SALESFORCE_DEFAULT_LOGIN_URL;
    this.conn = new Connection({
      // Auto-refresh needs oauth2 with the client id and a refresh token (jsforce #824, #1262); the custom
      // refreshFn below replaces jsforce's so that the loop guard and the persistence run inside it.
      oauth2: {
        clientId: oauth?.clientId,
        clientSecret: oauth?.clientSecret,
        loginUrl,
      },
      instanceUrl: context.credentials.instanceUrl ?? context.baseUrl,
      accessToken: context.credentials.accessToken,
      refreshToken: context.credentials.refreshToken,
      version: SALESFORCE_API_VERSION,
      refreshFn: (conn, callback) => {
        this.refresh(conn).then(
          (res) => {
            callback(null, res.access_token, res);
          },
          (err: unknown) => {
            this.refreshFailure = err;
            callback(err instanceof Error ? err : new Error(String(err)));
          },
        );
      },
    });
    // Every request only to this instance or the login host, each checked by the outbound rules.
    pinConnection(this.conn, loginUrl, deps.outbound);
  }

  /** The credentials as they are now (refreshed ones included). */
  get credentials(): ConnectionCredentials {
    return this.current;
  }

  /**
   * jsforce calls this on any 401 (bar "not valid for use with the REST API"), then replays the request. Capped at
   * one refresh per unit of work: when the replay still gets 401 (stale instance URL, token for another instance:
   * jsforce #830, #39, #1168, #1766) the second call ends the work with AuthFailedError instead of looping.
   */
  private async refresh(conn: Connection): Promise<TokenResponse> {
    if (this.refreshes >= MAX_REFRESHES_PER_UNIT_OF_WORK) {
      throw new AuthFailedError(
        'Salesforce still answers 401 INVALID_SESSION_ID after a successful token refresh; the connection must be reconnected',
      );
    }
    this.refreshes++;
    const refreshToken = this.current.refreshToken;
    if (!refreshToken)
      throw new AuthFailedError('The Salesforce session expired and the connection has no refresh token');
    if (!this.deps.oauthClient)
      throw new AuthFailedError(
        'The Salesforce session expired and no Salesforce OAuth client is configured',
      );
    await this.deps.beforeRefresh();
    const res = await conn.oauth2.refreshToken(refreshToken);
    // The token response names the instance; later requests (not the replay, which jsforce already built) use it.
    // It is adopted only when it passes the same host rule as a connection's (Salesforce's own or allow-listed):
    // a token endpoint must not be able to point the gateway at an internal host.
    if (res.instance_url) {
      const refusal = salesforceHostRefusal(res.instance_url, this.deps.outbound);
      if (refusal) throw new AuthFailedError(`refreshed instance_url refused: ${refusal}`);
      conn.instanceUrl = res.instance_url;
    }
    const next: ConnectionCredentials = {
      ...this.current,
      accessToken: res.access_token,
      refreshToken: res.refresh_token ?? refreshToken,
      instanceUrl: res.instance_url ?? this.current.instanceUrl,
      // Salesforce does not say when a session ends (it is an org setting, sliding with use): a 401 tells.
      expiresAt: null,
    };
    this.current = next;
    try {
      await this.deps.onCredentials(next);
    } catch (err) {
      throw new TransientError(
        `Salesforce token refreshed but could not be stored: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return res;
  }

  /** Runs one request: paced, bounded in time, its failure classified. */
  async call<T>(label: string, fn: (conn: Connection) => PromiseLike<T>): Promise<T> {
    await this.deps.pace();
    let timer: NodeJS.Timeout | undefined;
    const work = Promise.resolve().then(() => fn(this.conn));
    // After a timeout the request is abandoned; its late failure must not become an unhandled rejection.
    work.catch(() => undefined);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TransientError(`Salesforce did not answer ${label} within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (err) {
      throw withoutPersonalData(this.classify(err));
    } finally {
      clearTimeout(timer);
    }
  }

  private classify(err: unknown) {
    if (
      this.refreshFailure !== null &&
      err instanceof Error &&
      err.message.startsWith(REFRESH_FAILED_PREFIX)
    ) {
      return classifySalesforceError(this.refreshFailure);
    }
    return classifySalesforceError(err);
  }

  /** One batch of a SOQL query (up to 2,000 rows); `nextRecordsUrl` when there is more. */
  async query<T>(soql: string): Promise<QueryPage<T>> {
    const res = await this.call('query', (conn) => conn.query(soql));
    return {
      records: res.records as unknown as T[],
      done: res.done,
      nextRecordsUrl: res.nextRecordsUrl,
    };
  }

  async queryMore<T>(locator: string): Promise<QueryPage<T>> {
    const res = await this.call('queryMore', (conn) => conn.queryMore(locator));
    return {
      records: res.records as unknown as T[],
      done: res.done,
      nextRecordsUrl: res.nextRecordsUrl,
    };
  }

  /** Every row of a query, following query locators (each batch is one paced request). */
  async queryAll<T>(soql: string): Promise<T[]> {
    let page = await this.query<T>(soql);
    const rows = [...page.records];
    while (!page.done && page.nextRecordsUrl) {
      page = await this.queryMore<T>(page.nextRecordsUrl);
      rows.push(...page.records);
    }
    return rows;
  }

  /**
   * Every row of a query over live and deleted records (`/queryAll`, the recycle bin included): how an erasure
   * retried after a crash finds the Individual of a Contact it already deleted.
   */
  async queryAllWithDeleted<T>(soql: string): Promise<T[]> {
    const res = await this.call('queryAll', (conn) => conn.query(soql, { scanAll: true }));
    const rows = [...(res.records as unknown as T[])];
    let next = res.nextRecordsUrl;
    let done = res.done;
    while (!done && next) {
      const page = await this.queryMore<T>(next);
      rows.push(...page.records);
      next = page.nextRecordsUrl;
      done = page.done;
    }
    return rows;
  }

  /** A SOSL search (`GET {base}/search?q=`): the records it returns, each with `attributes.type`. */
  async search<T>(sosl: string): Promise<Array<T & { attributes?: { type?: string } }>> {
    const res = await this.call('search', (conn) => conn.search(sosl));
    return (res.searchRecords ?? []) as unknown as Array<T & { attributes?: { type?: string } }>;
  }

  /** Whether the org has this object type and holds at least one record of it (INVALID_TYPE: no such object). */
  async hasRecords(type: string): Promise<boolean> {
    try {
      const page = await this.query<{ Id: string }>(`SELECT Id FROM ${type} LIMIT 1`);
      return page.records.length > 0;
    } catch (err) {
      if (err instanceof PermanentError && err.message.startsWith('Salesforce INVALID_TYPE:')) return false;
      throw err;
    }
  }

  /** sObject Collections create, allOrNone false, in calls of at most 200 records; results in input order. */
  async createMany(type: string, records: Array<Record<string, unknown>>): Promise<SaveResultRow[]> {
    const results: SaveResultRow[] = [];
    for (let i = 0; i < records.length; i += SALESFORCE_CHUNK_SIZE) {
      const chunk = records.slice(i, i + SALESFORCE_CHUNK_SIZE);
      const res = await this.call(`create ${type}`, (conn) => conn.create(type, chunk, { allOrNone: false }));
      results.push(...(res as unknown as SaveResultRow[]));
    }
    return results;
  }

  /** sObject Collections update (records carry Id), allOrNone false, at most 200 a call; results in input order. */
  async updateMany(type: string, records: Array<Record<string, unknown>>): Promise<SaveResultRow[]> {
    const results: SaveResultRow[] = [];
    for (let i = 0; i < records.length; i += SALESFORCE_CHUNK_SIZE) {
      const chunk = records.slice(i, i + SALESFORCE_CHUNK_SIZE) as Array<
        Record<string, unknown> & { Id: string }
      >;
      const res = await this.call(`update ${type}`, (conn) => conn.update(type, chunk, { allOrNone: false }));
      results.push(...(res as unknown as SaveResultRow[]));
    }
    return results;
  }

  /**
   * sObject Collections delete (`DELETE /composite/sobjects?ids=`), allOrNone false, at most 200 ids a call; results
   * in input order. Salesforce deletes by id whatever the type: `type` only names the call.
   */
  async destroyMany(type: string, ids: readonly string[]): Promise<SaveResultRow[]> {
    const results: SaveResultRow[] = [];
    for (let i = 0; i < ids.length; i += SALESFORCE_CHUNK_SIZE) {
      const chunk = ids.slice(i, i + SALESFORCE_CHUNK_SIZE);
      const res = await this.call(`delete ${type}`, (conn) =>
        conn.destroy(type, chunk, { allOrNone: false }),
      );
      results.push(...(res as unknown as SaveResultRow[]));
    }
    return results;
  }

  /** A single-record create (setup metadata); throws the classified error on refusal. */
  async createOne(type: string, record: Record<string, unknown>): Promise<string> {
    const res = await this.call(`create ${type}`, (conn) => conn.create(type, record));
    if (!res.success || !res.id) {
      throw classifySalesforceError({
        errorCode: 'CREATE_FAILED',
        message: `could not create ${type}: ${JSON.stringify((res as unknown as SaveResultRow).errors)}`,
      });
    }
    return res.id;
  }
}
