/**
 * A local, in-memory Salesforce org that answers exactly what `jsforce` 3.10.16 sends: OAuth2 web-server flow and
 * refresh, REST sObject CRUD, sObject Collections, SOQL (the gateway's subset) with query locators, getUpdated /
 * getDeleted, SOSL phone search (sosl.ts, with a lagging search index), limits, and Salesforce's error shapes and
 * headers. Fault injection, latency and seeding are exposed
 * under `/__admin/` (and as methods) so tests can script outages. Plain `node:http`, no framework.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { deleteEffects, deleteFailedMessage } from './delete-rules';
import { makeId, toId18 } from './ids';
import {
  findField,
  findObject,
  formatSfDateTime,
  OBJECTS,
  parseSfDateTime,
  type FieldDef,
  type ObjectDef,
} from './schema';
import { seedRealisticRecords, type RealisticRecord, type RealisticSeedOptions } from './realistic-seed';
import { SearchIndex } from './search-index';
import { parseSoql, runSoql, SalesforceApiError } from './soql';
import { parseSosl, runSosl } from './sosl';

export interface SalesforceSimulatorOptions {
  /** Delay added to every non-admin request. */
  latencyMs?: number;
  /** Lifetime of issued access tokens (default 7200 s). */
  tokenTtlSeconds?: number;
  /** Daily API request allowance reported in Sforce-Limit-Info (default 15000, a Developer Edition org). */
  dailyLimit?: number;
  /** When set, the token endpoint only accepts this client id (and `clientSecret`, when set). */
  clientId?: string;
  clientSecret?: string;
  /** Records per query batch before a nextRecordsUrl is returned (default 2000, Salesforce's default). */
  queryBatchSize?: number;
  /**
   * How long a write takes to reach the SOSL search index (default 0): records written less than this long ago are
   * not yet found by SOSL (updated ones are found under their previous values); SOQL sees them at once.
   */
  searchIndexLagMs?: number;
}

export type FaultKind =
  '500' | 'timeout' | 'expire_tokens' | 'refresh_fails' | 'refresh_ok_but_401_persists' | 'request_limit';

export interface FaultSpec {
  kind: FaultKind;
  /**
   * How many matching requests the fault affects. Defaults: 1 for '500', 'timeout' and 'refresh_fails'; unlimited
   * (until reset or DELETE /__admin/faults) for 'refresh_ok_but_401_persists' and 'request_limit'. 'expire_tokens'
   * acts once, immediately.
   */
  count?: number;
  /** Only requests with this HTTP method (case-insensitive). */
  method?: string;
  /** Only requests whose path contains this string. */
  path?: string;
  /** For 'timeout': how long the request hangs before the socket is destroyed (default 60 s). */
  hangMs?: number;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
}

export type SfRecord = Record<string, unknown> & { Id: string };

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  status: number;
  /** The Sforce-Limit-Info header sent, for REST API responses. */
  limitInfo?: string;
}

export interface SalesforceSimulatorState {
  orgId: string;
  userId: string;
  /** Live records per object type, keyed by 18-character id. */
  records: Record<string, Map<string, SfRecord>>;
  /** Deleted records per type (the recycle bin): what queryAll and getDeleted see. */
  deleted: Record<string, Map<string, SfRecord & { deletedDate: string }>>;
  apiUsage: number;
  dailyLimit: number;
  latencyMs: number;
  accessTokens: Map<string, { expiresAt: number; refreshToken?: string; clientId: string }>;
  refreshTokens: Map<string, { clientId: string }>;
  authCodes: Map<string, { clientId: string; redirectUri: string; expiresAt: number }>;
  queryCursors: Map<string, { rows: Array<Record<string, unknown>>; batchSize: number }>;
  faults: ActiveFault[];
  counters: {
    codeGrants: number;
    refreshGrants: number;
    refreshFailures: number;
    unauthorized: number;
    limitExceeded: number;
  };
  requests: RequestLogEntry[];
  sequence: number;
}

const JSON_TYPE = 'application/json;charset=UTF-8';
const MAX_COLLECTION = 200;
const MAX_REQUEST_LOG = 1000;
const SUPPORTED_VERSIONS = { min: 31, max: 66 };
const ORG_ID = '00Dxx0000001gPLEAY';
/** Simulators made in this process: each is an org of its own (the gateway tells orgs apart by their id). */
let simulatorsMade = 0;
/** The first simulator of a process is org ORG_ID; the next ones differ in two characters of the 15-char id. */
const orgIdOf = (n: number) => (n === 1 ? ORG_ID : `00Dxx0000001g${String(n % 100).padStart(2, '0')}EAY`);
const USER_ID = '005xx000001SwiUAAS';

const INVALID_SESSION = new SalesforceApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
const LIMIT_EXCEEDED = new SalesforceApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
const NOT_FOUND = () => new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist');

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/** A field value that could not be converted to the field's type. */
class CoerceFailure {
  constructor(readonly error: RecordError) {}
}

interface RecordError {
  statusCode: string;
  message: string;
  fields: string[];
}

type SaveResult = { id?: string; success: boolean; errors: RecordError[] };

/** A validated write waiting to be applied (so allOrNone can refuse everything before anything changes). */
type PlannedWrite = { ok: true; id?: string; apply: () => string } | { ok: false; errors: RecordError[] };

export class SalesforceSimulator {
  readonly state: SalesforceSimulatorState;
  private server?: Server;
  private baseUrl = '';
  private readonly sockets = new Set<Socket>();
  private readonly hangTimers = new Set<NodeJS.Timeout>();
  private readonly searchIndex: SearchIndex;
  /** While seeding, writes enter the search index as long indexed (seeded data predates the test). */
  private seeding = false;

  /** This org's id (18 characters), as token responses, identity URLs and userinfo name it. */
  readonly orgId = orgIdOf(++simulatorsMade);

  constructor(private readonly options: SalesforceSimulatorOptions = {}) {
    this.searchIndex = new SearchIndex(options.searchIndexLagMs ?? 0);
    this.state = this.freshState();
    this.seedMetadata();
  }

  /** Starts listening on 127.0.0.1; resolves to the base URL, usable as both `loginUrl` and `instanceUrl`. */
  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent)
          this.sendJson(res, 500, [{ message: String(err), errorCode: 'UNKNOWN_EXCEPTION' }]);
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const t of this.hangTimers) clearTimeout(t);
    this.hangTimers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return this.baseUrl;
  }

  // ---------------------------------------------------------------- programmatic admin (same as /__admin/)

  /** Clears records, tokens, faults, usage and the request log; re-seeds the WhatsApp/Marketing metadata. */
  reset(): void {
    Object.assign(this.state, this.freshState());
    this.searchIndex.clear();
    this.searchIndex.lagMs = this.options.searchIndexLagMs ?? 0;
    this.seedMetadata();
  }

  /** The metadata the gateway looks up by Name (the reference: "the simulator seeds the metadata"). */
  private seedMetadata(): void {
    this.seed({
      records: {
        EngagementChannelType: [{ Name: 'WhatsApp', ContactPointType: 'Phone', IsActive: true }],
        DataUsePurpose: [
          { Name: 'Marketing', Description: 'Marketing communications', CanDataSubjectOptOut: true },
        ],
      },
    });
  }

  injectFault(spec: FaultSpec): void {
    if (spec.kind === 'expire_tokens') {
      this.state.accessTokens.clear();
      return;
    }
    const unlimited = spec.kind === 'refresh_ok_but_401_persists' || spec.kind === 'request_limit';
    this.state.faults.push({ ...spec, remaining: spec.count ?? (unlimited ? Number.POSITIVE_INFINITY : 1) });
  }

  clearFaults(): void {
    this.state.faults = [];
  }

  setLatency(ms: number): void {
    this.state.latencyMs = ms;
  }

  /** Changes the SOSL index lag (see `searchIndexLagMs`); reset() restores the constructor's value. */
  setSearchIndexLag(ms: number): void {
    this.searchIndex.lagMs = ms;
  }

  /**
   * Seeds Contacts and Leads with phone numbers as people type them (realistic-seed.ts), deterministic per `seed`;
   * returns each record with its id and the E.164 number a correct normaliser must derive (null when malformed).
   */
  seedRealistic(options: RealisticSeedOptions): RealisticRecord[] {
    return seedRealisticRecords(this, options);
  }

  /** Inserts records directly (no API usage). Numbers generate that many synthetic records. */
  seed(input: SeedInput): Record<string, string[]> {
    this.seeding = true;
    try {
      return this.seedRecords(input);
    } finally {
      this.seeding = false;
    }
  }

  private seedRecords(input: SeedInput): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const groups: Array<[string, Array<Record<string, unknown>> | number | undefined]> = [
      ['Individual', input.individuals],
      ['Contact', input.contacts],
      ['Lead', input.leads],
      ...Object.entries(input.records ?? {}),
    ];
    for (const [typeName, recs] of groups) {
      if (recs === undefined) continue;
      const object = findObject(typeName);
      if (!object)
        throw new SalesforceApiError(400, 'INVALID_TYPE', `sObject type '${typeName}' is not supported.`);
      const list =
        typeof recs === 'number'
          ? Array.from({ length: recs }, (_, i) => syntheticRecord(object, this.state.sequence + i + 1))
          : recs;
      const ids = (out[object.name] ??= []);
      for (const rec of list) {
        const plan = this.planCreate(object, stripAttributes(rec), 62);
        if (!plan.ok)
          throw new SalesforceApiError(
            400,
            plan.errors[0].statusCode,
            plan.errors[0].message,
            plan.errors[0].fields,
          );
        ids.push(plan.apply());
      }
    }
    return out;
  }

  /** A JSON-friendly snapshot of the org (what GET /__admin/state returns). */
  snapshot(): Record<string, unknown> {
    const s = this.state;
    const byType = (m: Record<string, Map<string, unknown>>) =>
      Object.fromEntries(Object.entries(m).map(([k, v]) => [k, [...v.values()]]));
    return {
      orgId: s.orgId,
      userId: s.userId,
      apiUsage: s.apiUsage,
      dailyLimit: s.dailyLimit,
      latencyMs: s.latencyMs,
      records: byType(s.records),
      deleted: byType(s.deleted),
      activeAccessTokens: s.accessTokens.size,
      refreshTokens: s.refreshTokens.size,
      faults: s.faults.map((f) => ({ ...f, remaining: Number.isFinite(f.remaining) ? f.remaining : null })),
      counters: { ...s.counters },
      requests: s.requests.slice(-200),
    };
  }

  // ---------------------------------------------------------------- dispatch

  private freshState(): SalesforceSimulatorState {
    const state: SalesforceSimulatorState = {
      orgId: this.orgId,
      userId: USER_ID,
      records: Object.fromEntries(Object.keys(OBJECTS).map((k) => [k, new Map<string, SfRecord>()])),
      deleted: Object.fromEntries(
        Object.keys(OBJECTS).map((k) => [k, new Map<string, SfRecord & { deletedDate: string }>()]),
      ),
      apiUsage: 0,
      dailyLimit: this.options.dailyLimit ?? 15000,
      latencyMs: this.options.latencyMs ?? 0,
      accessTokens: new Map(),
      refreshTokens: new Map(),
      authCodes: new Map(),
      queryCursors: new Map(),
      faults: [],
      counters: { codeGrants: 0, refreshGrants: 0, refreshFailures: 0, unauthorized: 0, limitExceeded: 0 },
      requests: [],
      sequence: 0,
    };
    return state;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawBody = await readBody(req);
    res.on('finish', () => {
      if (url.pathname.startsWith('/__admin/')) return;
      const limitInfo = res.getHeader('Sforce-Limit-Info');
      this.state.requests.push({
        at: new Date().toISOString(),
        method,
        path: url.pathname + url.search,
        status: res.statusCode,
        ...(typeof limitInfo === 'string' ? { limitInfo } : {}),
      });
      if (this.state.requests.length > MAX_REQUEST_LOG)
        this.state.requests.splice(0, this.state.requests.length - MAX_REQUEST_LOG);
    });

    if (url.pathname.startsWith('/__admin/')) {
      this.handleAdmin(method, url, rawBody, res);
      return;
    }
    if (this.state.latencyMs > 0) await sleep(this.state.latencyMs);

    const isApi = /^\/services\/data\//.test(url.pathname);
    try {
      if (isApi) {
        this.authenticate(req, method, url.pathname);
        if (
          this.takeFault('request_limit', method, url.pathname) ||
          this.state.apiUsage >= this.state.dailyLimit
        ) {
          this.state.counters.limitExceeded++;
          throw LIMIT_EXCEEDED;
        }
        this.state.apiUsage++;
      }
      const timeout = this.takeFault('timeout', method, url.pathname);
      if (timeout) {
        this.hang(res, timeout);
        return;
      }
      if (this.takeFault('500', method, url.pathname)) {
        throw new SalesforceApiError(
          500,
          'UNKNOWN_EXCEPTION',
          `An unexpected error occurred. Please include this ErrorId if you contact support: ${randomBytes(4).toString('hex')}-${Date.now() % 100000} (-${Date.now() % 1000000000})`,
        );
      }
      if (url.pathname.replace(/\/+$/, '') === '/services/oauth2/userinfo') {
        this.handleUserInfo(req, url, res);
        return;
      }
      if (url.pathname.startsWith('/services/oauth2/')) {
        this.handleOAuth(method, url, rawBody, res);
        return;
      }
      if (url.pathname.startsWith('/id/')) {
        this.handleIdentity(req, url, res);
        return;
      }
      if (isApi) {
        const result = this.handleApi(method, url, rawBody, req);
        this.send(res, result.status, result.body, isApi);
        return;
      }
      throw NOT_FOUND();
    } catch (err) {
      if (err instanceof SalesforceApiError) {
        this.send(res, err.status, err.body(), isApi);
      } else if (err instanceof OAuthError) {
        this.sendJson(res, err.status, { error: err.error, error_description: err.description });
      } else {
        throw err;
      }
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, isApi: boolean): void {
    if (isApi)
      res.setHeader('Sforce-Limit-Info', `api-usage=${this.state.apiUsage}/${this.state.dailyLimit}`);
    if (status === 204 || body === undefined) {
      res.writeHead(status === 200 ? 204 : status);
      res.end();
      return;
    }
    this.sendJson(res, status, body);
  }

  private sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** The 'timeout' fault: never answer; destroy the socket after `hangMs` (or on stop()). */
  private hang(res: ServerResponse, fault: ActiveFault): void {
    const timer = setTimeout(() => {
      this.hangTimers.delete(timer);
      res.socket?.destroy();
    }, fault.hangMs ?? 60_000);
    this.hangTimers.add(timer);
  }

  /** Consumes one use of the first matching active fault of `kind`; returns it when it applies. */
  private takeFault(kind: FaultKind, method: string, path: string): ActiveFault | undefined {
    const fault = this.state.faults.find(
      (f) => f.kind === kind && f.remaining > 0 && matchesFault(f, method, path),
    );
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) this.state.faults = this.state.faults.filter((f) => f !== fault);
    return fault;
  }

  // ---------------------------------------------------------------- admin

  private handleAdmin(method: string, url: URL, rawBody: string, res: ServerResponse): void {
    const route = `${method} ${url.pathname.replace(/\/+$/, '')}`;
    try {
      const body = rawBody ? (JSON.parse(rawBody) as unknown) : {};
      switch (route) {
        case 'GET /__admin/state':
          this.sendJson(res, 200, this.snapshot());
          return;
        case 'POST /__admin/seed':
          this.sendJson(res, 201, { ids: this.seed(body as SeedInput) });
          return;
        case 'POST /__admin/seed-realistic':
          this.sendJson(res, 201, { records: this.seedRealistic(body as RealisticSeedOptions) });
          return;
        case 'POST /__admin/search-index':
          this.setSearchIndexLag(Number((body as { lagMs?: number }).lagMs ?? 0));
          this.sendJson(res, 200, { lagMs: this.searchIndex.lagMs });
          return;
        case 'POST /__admin/faults': {
          const specs = (Array.isArray(body) ? body : [body]) as FaultSpec[];
          for (const spec of specs) {
            if (!isFaultKind(spec.kind))
              throw new SalesforceApiError(400, 'INVALID_FAULT', `unknown fault kind: ${String(spec.kind)}`);
            this.injectFault(spec);
          }
          this.sendJson(res, 201, { faults: this.snapshot().faults });
          return;
        }
        case 'DELETE /__admin/faults':
          this.clearFaults();
          res.writeHead(204).end();
          return;
        case 'POST /__admin/latency':
          this.setLatency(
            Number(
              (body as { ms?: number; latencyMs?: number }).ms ??
                (body as { latencyMs?: number }).latencyMs ??
                0,
            ),
          );
          this.sendJson(res, 200, { latencyMs: this.state.latencyMs });
          return;
        case 'POST /__admin/usage':
          this.state.apiUsage = Number((body as { used?: number }).used ?? 0);
          if ((body as { limit?: number }).limit !== undefined)
            this.state.dailyLimit = Number((body as { limit: number }).limit);
          this.sendJson(res, 200, { apiUsage: this.state.apiUsage, dailyLimit: this.state.dailyLimit });
          return;
        case 'POST /__admin/reset':
          this.reset();
          res.writeHead(204).end();
          return;
        default:
          this.sendJson(res, 404, { error: 'not_found', route });
      }
    } catch (err) {
      if (err instanceof SalesforceApiError) this.sendJson(res, err.status, err.body());
      else
        this.sendJson(res, 400, [
          { message: err instanceof Error ? err.message : String(err), errorCode: 'BAD_REQUEST' },
        ]);
    }
  }

  // ---------------------------------------------------------------- OAuth2

  private handleOAuth(method: string, url: URL, rawBody: string, res: ServerResponse): void {
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/services/oauth2/authorize' && method === 'GET') {
      const q = url.searchParams;
      const clientId = q.get('client_id') ?? '';
      const redirectUri = q.get('redirect_uri') ?? '';
      if (q.get('response_type') !== 'code')
        throw new OAuthError(400, 'unsupported_response_type', 'response type not supported');
      if (!clientId || (this.options.clientId && clientId !== this.options.clientId))
        throw new OAuthError(400, 'invalid_client_id', 'client identifier invalid');
      if (!redirectUri)
        throw new OAuthError(400, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
      // Sandbox: the user "approves" at once.
      const code = `aPrx${randomBytes(24).toString('base64url')}`;
      this.state.authCodes.set(code, { clientId, redirectUri, expiresAt: Date.now() + 15 * 60_000 });
      const target = new URL(redirectUri);
      target.searchParams.set('code', code);
      const state = q.get('state');
      if (state !== null) target.searchParams.set('state', state);
      res.writeHead(302, { Location: target.toString() });
      res.end();
      return;
    }
    if (path === '/services/oauth2/token' && method === 'POST') {
      const params = new URLSearchParams(rawBody);
      const clientId = params.get('client_id') ?? '';
      if (!clientId || (this.options.clientId && clientId !== this.options.clientId))
        throw new OAuthError(400, 'invalid_client_id', 'client identifier invalid');
      if (
        this.options.clientSecret !== undefined &&
        !safeEqual(params.get('client_secret') ?? '', this.options.clientSecret)
      ) {
        throw new OAuthError(400, 'invalid_client', 'invalid client credentials');
      }
      const grant = params.get('grant_type');
      if (grant === 'authorization_code') {
        const code = this.state.authCodes.get(params.get('code') ?? '');
        this.state.authCodes.delete(params.get('code') ?? '');
        if (!code || code.expiresAt < Date.now() || code.clientId !== clientId)
          throw new OAuthError(400, 'invalid_grant', 'invalid authorization code');
        if (code.redirectUri !== params.get('redirect_uri'))
          throw new OAuthError(400, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
        const refreshToken = `5Aep${randomBytes(32).toString('base64url')}`;
        this.state.refreshTokens.set(refreshToken, { clientId });
        this.state.counters.codeGrants++;
        this.sendJson(res, 200, this.tokenResponse(clientId, refreshToken, true));
        return;
      }
      if (grant === 'refresh_token') {
        const refreshToken = params.get('refresh_token') ?? '';
        const known = this.state.refreshTokens.get(refreshToken);
        if (this.takeFault('refresh_fails', method, path) || !known || known.clientId !== clientId) {
          this.state.counters.refreshFailures++;
          throw new OAuthError(400, 'invalid_grant', 'expired access/refresh token');
        }
        this.state.counters.refreshGrants++;
        this.sendJson(res, 200, this.tokenResponse(clientId, refreshToken, false));
        return;
      }
      throw new OAuthError(400, 'unsupported_grant_type', 'grant type not supported');
    }
    if (path === '/services/oauth2/revoke' && (method === 'POST' || method === 'GET')) {
      const token = new URLSearchParams(method === 'POST' ? rawBody : url.search).get('token') ?? '';
      if (this.state.refreshTokens.delete(token)) {
        for (const [t, info] of this.state.accessTokens)
          if (info.refreshToken === token) this.state.accessTokens.delete(t);
      } else if (!this.state.accessTokens.delete(token)) {
        throw new OAuthError(400, 'unsupported_token_type', 'this token type is not supported');
      }
      res.writeHead(200).end();
      return;
    }
    throw new OAuthError(404, 'not_found', 'unknown OAuth endpoint');
  }

  private tokenResponse(
    clientId: string,
    refreshToken: string,
    includeRefresh: boolean,
  ): Record<string, string> {
    const accessToken = `${this.orgId.slice(0, 15)}!AQ${randomBytes(40).toString('base64url')}`;
    this.state.accessTokens.set(accessToken, {
      expiresAt: Date.now() + (this.options.tokenTtlSeconds ?? 7200) * 1000,
      refreshToken,
      clientId,
    });
    const id = `${this.baseUrl}/id/${this.orgId}/${USER_ID}`;
    const issuedAt = String(Date.now());
    // Salesforce signs id + issued_at with the consumer secret (HMAC-SHA256, base64).
    const signature = createHmac('sha256', this.options.clientSecret ?? 'sandbox-secret')
      .update(id + issuedAt)
      .digest('base64');
    return {
      access_token: accessToken,
      ...(includeRefresh ? { refresh_token: refreshToken } : {}),
      signature,
      scope: 'api refresh_token',
      instance_url: this.baseUrl,
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    };
  }

  private handleIdentity(req: IncomingMessage, url: URL, res: ServerResponse): void {
    const token = bearer(req) ?? url.searchParams.get('oauth_token') ?? '';
    if (!this.isValidToken(token)) {
      this.sendJson(res, 403, 'Bad_OAuth_Token');
      return;
    }
    this.sendJson(res, 200, {
      id: `${this.baseUrl}/id/${this.orgId}/${USER_ID}`,
      asserted_user: true,
      user_id: USER_ID,
      organization_id: this.orgId,
      username: 'integration@consent-gateway.sandbox',
      display_name: 'Consent Gateway Integration',
      email: 'integration@consent-gateway.sandbox',
      active: true,
      user_type: 'STANDARD',
      urls: {
        rest: `${this.baseUrl}/services/data/v{version}/`,
        sobjects: `${this.baseUrl}/services/data/v{version}/sobjects/`,
        query: `${this.baseUrl}/services/data/v{version}/query/`,
      },
    });
  }

  /**
   * The OpenID Connect UserInfo endpoint (login host or the org's My Domain): the token's user and org. How a token
   * given without its identity URL (a connection by token) tells which org it reaches.
   */
  private handleUserInfo(req: IncomingMessage, url: URL, res: ServerResponse): void {
    const token = bearer(req) ?? url.searchParams.get('oauth_token') ?? '';
    if (!this.isValidToken(token)) {
      this.sendJson(res, 403, 'Bad_OAuth_Token');
      return;
    }
    this.sendJson(res, 200, {
      sub: `${this.baseUrl}/id/${this.orgId}/${USER_ID}`,
      user_id: USER_ID,
      organization_id: this.orgId,
      preferred_username: 'integration@consent-gateway.sandbox',
      nickname: 'integration',
      name: 'Consent Gateway Integration',
      email: 'integration@consent-gateway.sandbox',
      email_verified: true,
      zoneinfo: 'Europe/Berlin',
      locale: 'en_US',
      active: true,
      user_type: 'STANDARD',
      urls: {
        rest: `${this.baseUrl}/services/data/v{version}/`,
        sobjects: `${this.baseUrl}/services/data/v{version}/sobjects/`,
        query: `${this.baseUrl}/services/data/v{version}/query/`,
      },
    });
  }

  private isValidToken(token: string): boolean {
    const info = this.state.accessTokens.get(token);
    if (!info) return false;
    if (info.expiresAt <= Date.now()) {
      this.state.accessTokens.delete(token);
      return false;
    }
    return true;
  }

  private authenticate(req: IncomingMessage, method: string, path: string): void {
    const token = bearer(req);
    if (!token || !this.isValidToken(token) || this.takeFault('refresh_ok_but_401_persists', method, path)) {
      this.state.counters.unauthorized++;
      throw INVALID_SESSION;
    }
  }

  // ---------------------------------------------------------------- REST API

  private handleApi(
    method: string,
    url: URL,
    rawBody: string,
    req: IncomingMessage,
  ): { status: number; body?: unknown } {
    const m = /^\/services\/data\/v(\d+)\.0(\/.*)?$/.exec(url.pathname);
    if (!m) throw NOT_FOUND();
    const version = Number(m[1]);
    if (version < SUPPORTED_VERSIONS.min || version > SUPPORTED_VERSIONS.max) throw NOT_FOUND();
    const apiPrefix = `/services/data/v${m[1]}.0`;
    const rest = (m[2] ?? '/').replace(/\/+$/, '') || '/';
    const seg = rest.split('/').filter(Boolean).map(decodeURIComponent);
    const body = (): unknown => {
      if (!rawBody) return undefined;
      try {
        return JSON.parse(rawBody) as unknown;
      } catch {
        throw new SalesforceApiError(
          400,
          'JSON_PARSER_ERROR',
          'Unexpected character: was expecting a JSON value',
        );
      }
    };

    if (seg.length === 0 && method === 'GET') {
      return {
        status: 200,
        body: {
          sobjects: `${apiPrefix}/sobjects`,
          query: `${apiPrefix}/query`,
          search: `${apiPrefix}/search`,
          limits: `${apiPrefix}/limits`,
          composite: `${apiPrefix}/composite`,
        },
      };
    }
    if (seg[0] === 'limits' && seg.length === 1 && method === 'GET') {
      return {
        status: 200,
        body: {
          DailyApiRequests: {
            Max: this.state.dailyLimit,
            Remaining: Math.max(0, this.state.dailyLimit - this.state.apiUsage),
          },
        },
      };
    }
    if ((seg[0] === 'query' || seg[0] === 'queryAll') && method === 'GET') {
      if (seg.length === 1)
        return {
          status: 200,
          body: this.query(url.searchParams.get('q'), version, apiPrefix, seg[0] === 'queryAll', req),
        };
      if (seg.length === 2) return { status: 200, body: this.queryMore(seg[1], apiPrefix) };
    }
    if (seg[0] === 'search' && seg.length === 1 && method === 'GET') {
      const q = url.searchParams.get('q');
      if (!q)
        throw new SalesforceApiError(
          400,
          'MALFORMED_SEARCH',
          'No search term found. The search term must be enclosed in braces.',
        );
      return { status: 200, body: this.search(q, version, apiPrefix) };
    }
    if (seg[0] === 'composite' && seg[1] === 'sobjects') {
      if (seg.length === 2) {
        if (method === 'POST') return { status: 200, body: this.collectionCreate(body(), version) };
        if (method === 'PATCH') return { status: 200, body: this.collectionUpdate(body(), version) };
        if (method === 'DELETE') return { status: 200, body: this.collectionDelete(url.searchParams) };
      }
      if (seg.length === 3 && method === 'POST')
        return { status: 200, body: this.collectionRetrieve(seg[2], body(), version, apiPrefix) };
      throw NOT_FOUND();
    }
    if (seg[0] === 'sobjects') {
      if (seg.length === 1 && method === 'GET') {
        return {
          status: 200,
          body: {
            encoding: 'UTF-8',
            maxBatchSize: MAX_COLLECTION,
            sobjects: Object.values(OBJECTS)
              .filter((o) => version >= o.minVersion)
              .map((o) => ({
                name: o.name,
                label: o.name,
                keyPrefix: o.keyPrefix,
                createable: true,
                updateable: true,
                deletable: true,
                queryable: true,
                replicateable: true,
              })),
          },
        };
      }
      const object = findObject(seg[1] ?? '');
      if (!object || version < object.minVersion) throw NOT_FOUND();
      if (seg.length === 2) {
        if (method === 'POST') return this.createSingle(object, body(), version);
        if (method === 'GET')
          return { status: 200, body: { objectDescribe: describe(object, version), recentItems: [] } };
      }
      if (seg.length === 3 && seg[2] === 'describe' && method === 'GET')
        return { status: 200, body: describe(object, version) };
      if (seg.length === 3 && seg[2] === 'updated' && method === 'GET')
        return { status: 200, body: this.getUpdated(object, url.searchParams) };
      if (seg.length === 3 && seg[2] === 'deleted' && method === 'GET')
        return { status: 200, body: this.getDeleted(object, url.searchParams) };
      if (seg.length === 3) {
        if (method === 'GET')
          return {
            status: 200,
            body: this.retrieve(object, seg[2], url.searchParams.get('fields'), version, apiPrefix),
          };
        if (method === 'PATCH') return this.updateSingle(object, seg[2], body(), version);
        if (method === 'DELETE') return this.deleteSingle(object, seg[2]);
      }
    }
    throw NOT_FOUND();
  }

  private query(
    soql: string | null,
    version: number,
    apiPrefix: string,
    all: boolean,
    req: IncomingMessage,
  ): Record<string, unknown> {
    if (!soql) throw new SalesforceApiError(400, 'MALFORMED_QUERY', 'A query string must be provided.');
    const parsed = parseSoql(soql, version);
    const type = parsed.object.name;
    const source: Array<Record<string, unknown>> = [...this.state.records[type].values()];
    if (all) source.push(...this.state.deleted[type].values());
    const rows = runSoql(parsed, source, apiPrefix);
    const batchSize = queryBatchSize(req, this.options.queryBatchSize);
    return this.page(rows, batchSize, 0, apiPrefix, undefined);
  }

  private search(sosl: string, version: number, apiPrefix: string): Record<string, unknown> {
    const parsed = parseSosl(sosl, version);
    const now = Date.now();
    return runSosl(
      parsed,
      (object) =>
        [...this.state.records[object.name].values()].flatMap((current) => {
          const indexed = this.searchIndex.indexed(current.Id, now);
          return indexed ? [{ indexed, current }] : [];
        }),
      apiPrefix,
    );
  }

  private queryMore(locator: string, apiPrefix: string): Record<string, unknown> {
    const m = /^([A-Za-z0-9]+)-(\d+)$/.exec(locator);
    const cursor = m ? this.state.queryCursors.get(m[1]) : undefined;
    if (!m || !cursor) throw new SalesforceApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return this.page(cursor.rows, cursor.batchSize, Number(m[2]), apiPrefix, m[1]);
  }

  private page(
    rows: Array<Record<string, unknown>>,
    batchSize: number,
    offset: number,
    apiPrefix: string,
    cursorId: string | undefined,
  ): Record<string, unknown> {
    const records = rows.slice(offset, offset + batchSize);
    const nextOffset = offset + records.length;
    const done = nextOffset >= rows.length;
    let id = cursorId;
    if (!done && !id) {
      id = makeId('01g', ++this.state.sequence);
      this.state.queryCursors.set(id, { rows, batchSize });
    }
    if (done && id) this.state.queryCursors.delete(id);
    return {
      totalSize: rows.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `${apiPrefix}/query/${id}-${nextOffset}` }),
      records,
    };
  }

  private getUpdated(object: ObjectDef, params: URLSearchParams): Record<string, unknown> {
    const { start, end } = this.replicationWindow(params, 30);
    const ids = [...this.state.records[object.name].values()]
      .filter((r) => {
        const t = parseSfDateTime(String(r.SystemModstamp));
        return t >= start && t < end;
      })
      .map((r) => r.Id);
    return { ids, latestDateCovered: formatSfDateTime(end) };
  }

  private getDeleted(object: ObjectDef, params: URLSearchParams): Record<string, unknown> {
    const { start, end } = this.replicationWindow(params, 15);
    const deletedRecords = [...this.state.deleted[object.name].values()]
      .filter((r) => {
        const t = parseSfDateTime(r.deletedDate);
        return t >= start && t < end;
      })
      .map((r) => ({ id: r.Id, deletedDate: r.deletedDate }));
    return {
      deletedRecords,
      earliestDateAvailable: formatSfDateTime(floorMinute(Date.now() - 15 * 86_400_000)),
      latestDateCovered: formatSfDateTime(end),
    };
  }

  /** getUpdated/getDeleted ignore seconds (window bounds are truncated to the minute); start may not be older than `maxDays`. */
  private replicationWindow(params: URLSearchParams, maxDays: number): { start: number; end: number } {
    const startRaw = params.get('start');
    const endRaw = params.get('end');
    if (!startRaw || !endRaw)
      throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'start and end must be specified');
    const start = parseSfDateTime(startRaw);
    const end = parseSfDateTime(endRaw);
    if (Number.isNaN(start) || Number.isNaN(end))
      throw new SalesforceApiError(
        400,
        'INVALID_REPLICATION_DATE',
        'start and end must be valid dateTime values',
      );
    if (start >= end)
      throw new SalesforceApiError(
        400,
        'INVALID_REPLICATION_DATE',
        'start date must chronologically precede end date',
      );
    if (start < Date.now() - maxDays * 86_400_000) {
      throw new SalesforceApiError(
        400,
        'INVALID_REPLICATION_DATE',
        `startDate cannot be more than ${maxDays} days ago`,
      );
    }
    return { start: floorMinute(start), end: floorMinute(end) };
  }

  private retrieve(
    object: ObjectDef,
    rawId: string,
    fieldList: string | null,
    version: number,
    apiPrefix: string,
  ): Record<string, unknown> {
    const id = toId18(rawId);
    const record = id ? this.state.records[object.name].get(id) : undefined;
    if (!record) throw NOT_FOUND();
    return project(object, record, fieldList ? fieldList.split(',') : undefined, version, apiPrefix);
  }

  private createSingle(
    object: ObjectDef,
    input: unknown,
    version: number,
  ): { status: number; body: unknown } {
    if (!isPlainObject(input))
      throw new SalesforceApiError(
        400,
        'JSON_PARSER_ERROR',
        'Cannot deserialize instance of SObject from non-object value',
      );
    const plan = this.planCreate(object, stripAttributes(input), version);
    if (!plan.ok) throw toApiError(plan.errors);
    return { status: 201, body: { id: plan.apply(), success: true, errors: [] } };
  }

  private updateSingle(
    object: ObjectDef,
    rawId: string,
    input: unknown,
    version: number,
  ): { status: number } {
    if (!isPlainObject(input))
      throw new SalesforceApiError(
        400,
        'JSON_PARSER_ERROR',
        'Cannot deserialize instance of SObject from non-object value',
      );
    const plan = this.planUpdate(object, rawId, stripAttributes(input), version);
    if (!plan.ok) {
      const code = plan.errors[0].statusCode;
      if (code === 'NOT_FOUND') throw NOT_FOUND();
      throw toApiError(plan.errors);
    }
    plan.apply();
    return { status: 204 };
  }

  private deleteSingle(object: ObjectDef, rawId: string): { status: number } {
    const plan = this.planDelete(rawId, object);
    if (!plan.ok) {
      if (plan.errors[0].statusCode === 'NOT_FOUND') throw NOT_FOUND();
      // ENTITY_IS_DELETED answers 404; a delete refused by a required lookup (DELETE_FAILED) is the caller's 400.
      throw toApiError(plan.errors, plan.errors[0].statusCode === 'DELETE_FAILED' ? 400 : 404);
    }
    plan.apply();
    return { status: 204 };
  }

  private collectionCreate(input: unknown, version: number): SaveResult[] {
    const { allOrNone, records } = collectionBody(input);
    const plans = records.map((rec): PlannedWrite => {
      if (!isPlainObject(rec)) return fail('JSON_PARSER_ERROR', 'record must be an object');
      const type = isPlainObject(rec.attributes) ? rec.attributes.type : undefined;
      const object = typeof type === 'string' ? findObject(type) : undefined;
      if (!object || version < object.minVersion)
        return fail(
          'INVALID_TYPE',
          typeof type === 'string'
            ? `sObject type '${type}' is not supported.`
            : 'sObject type must be specified in attributes',
        );
      return this.planCreate(object, stripAttributes(rec), version);
    });
    return commit(plans, allOrNone);
  }

  private collectionUpdate(input: unknown, version: number): SaveResult[] {
    const { allOrNone, records } = collectionBody(input);
    const plans = records.map((rec): PlannedWrite => {
      if (!isPlainObject(rec)) return fail('JSON_PARSER_ERROR', 'record must be an object');
      const type = isPlainObject(rec.attributes) ? rec.attributes.type : undefined;
      const object = typeof type === 'string' ? findObject(type) : undefined;
      if (!object || version < object.minVersion)
        return fail(
          'INVALID_TYPE',
          typeof type === 'string'
            ? `sObject type '${type}' is not supported.`
            : 'sObject type must be specified in attributes',
        );
      const { id, Id, ...fields } = stripAttributes(rec);
      const rawId = typeof id === 'string' ? id : typeof Id === 'string' ? Id : undefined;
      if (!rawId) return fail('MISSING_ARGUMENT', 'Id not specified in an update call');
      const plan = this.planUpdate(object, rawId, fields, version);
      if (!plan.ok && plan.errors[0].statusCode === 'NOT_FOUND')
        return fail('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
      return plan;
    });
    return commit(plans, allOrNone);
  }

  private collectionDelete(params: URLSearchParams): SaveResult[] {
    const ids = (params.get('ids') ?? '').split(',').filter(Boolean);
    if (ids.length === 0) throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'ids must be specified');
    if (ids.length > MAX_COLLECTION) throw exceededIdLimit();
    const plans = ids.map((rawId): PlannedWrite => {
      const plan = this.planDelete(rawId);
      if (!plan.ok && plan.errors[0].statusCode === 'NOT_FOUND')
        return fail('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
      return plan;
    });
    return commit(plans, params.get('allOrNone') === 'true');
  }

  private collectionRetrieve(
    typeName: string,
    input: unknown,
    version: number,
    apiPrefix: string,
  ): Array<Record<string, unknown> | null> {
    const object = findObject(typeName);
    if (!object || version < object.minVersion) throw NOT_FOUND();
    if (!isPlainObject(input) || !Array.isArray(input.ids) || !Array.isArray(input.fields)) {
      throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'ids and fields must be specified');
    }
    if (input.ids.length > 2000) throw exceededIdLimit();
    const fields = input.fields.map(String);
    return input.ids.map((raw) => {
      const id = toId18(String(raw));
      const record = id ? this.state.records[object.name].get(id) : undefined;
      return record ? project(object, record, fields, version, apiPrefix) : null;
    });
  }

  // ---------------------------------------------------------------- validation and writes

  private planCreate(object: ObjectDef, input: Record<string, unknown>, version: number): PlannedWrite {
    if ('Id' in input || 'id' in input)
      return fail('INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id']);
    const values = this.validateFields(object, input, version);
    if ('errors' in values) return { ok: false, errors: values.errors };
    const candidate: Record<string, unknown> = {};
    for (const f of object.fields) if (f.type === 'boolean' && !f.readonly) candidate[f.name] = false;
    if (object.name === 'Lead') candidate.Status = 'Open - Not Contacted';
    Object.assign(candidate, values.values);
    const missing = object.fields.filter(
      (f) =>
        f.required &&
        (candidate[f.name] === undefined || candidate[f.name] === null || candidate[f.name] === ''),
    );
    if (missing.length > 0) {
      return fail(
        'REQUIRED_FIELD_MISSING',
        `Required fields are missing: [${missing.map((f) => f.name).join(', ')}]`,
        missing.map((f) => f.name),
      );
    }
    return {
      ok: true,
      apply: () => {
        const now = formatSfDateTime(Date.now());
        const id = makeId(object.keyPrefix, ++this.state.sequence);
        const record: SfRecord = {
          Id: id,
          IsDeleted: false,
          CreatedDate: now,
          CreatedById: USER_ID,
          LastModifiedDate: now,
          LastModifiedById: USER_ID,
          SystemModstamp: now,
          ...(object.fields.some((f) => f.name === 'OwnerId') ? { OwnerId: USER_ID } : {}),
          ...candidate,
        };
        object.derive?.(record);
        this.state.records[object.name].set(id, record);
        this.searchIndex.written(id, record, this.seeding ? Number.NEGATIVE_INFINITY : Date.now());
        return id;
      },
    };
  }

  private planUpdate(
    object: ObjectDef,
    rawId: string,
    input: Record<string, unknown>,
    version: number,
  ): PlannedWrite {
    const id = toId18(rawId);
    if (!id) return fail('MALFORMED_ID', `${object.name} ID: id value of incorrect type: ${rawId}`, ['Id']);
    if (!id.startsWith(object.keyPrefix))
      return fail('MALFORMED_ID', `${object.name} ID: id value of incorrect type: ${rawId}`, ['Id']);
    if (this.state.deleted[object.name].has(id)) return fail('ENTITY_IS_DELETED', 'entity is deleted');
    const existing = this.state.records[object.name].get(id);
    if (!existing) return fail('NOT_FOUND', 'The requested resource does not exist');
    const values = this.validateFields(object, input, version);
    if ('errors' in values) return { ok: false, errors: values.errors };
    const cleared = object.fields.filter(
      (f) =>
        f.required &&
        f.name in values.values &&
        (values.values[f.name] === null || values.values[f.name] === ''),
    );
    if (cleared.length > 0) {
      return fail(
        'REQUIRED_FIELD_MISSING',
        `Required fields are missing: [${cleared.map((f) => f.name).join(', ')}]`,
        cleared.map((f) => f.name),
      );
    }
    return {
      ok: true,
      id,
      apply: () => {
        // SystemModstamp moves on every write, even two within one millisecond, so a poller's cursor sees both.
        const previous = parseSfDateTime(String(existing.SystemModstamp));
        const now = formatSfDateTime(Math.max(Date.now(), previous + 1));
        Object.assign(existing, values.values, { LastModifiedDate: now, SystemModstamp: now });
        object.derive?.(existing);
        this.searchIndex.written(id, existing, Date.now());
        return id;
      },
    };
  }

  private planDelete(rawId: string, expected?: ObjectDef): PlannedWrite {
    const id = toId18(rawId);
    const object = id ? Object.values(OBJECTS).find((o) => id.startsWith(o.keyPrefix)) : undefined;
    if (!id || !object || (expected && object !== expected))
      return fail('NOT_FOUND', 'The requested resource does not exist');
    if (this.state.deleted[object.name].has(id)) return fail('ENTITY_IS_DELETED', 'entity is deleted');
    const record = this.state.records[object.name].get(id);
    if (!record) return fail('NOT_FOUND', 'The requested resource does not exist');
    // Lookups pointing at the record: required ones refuse the delete, optional ones are cleared (delete-rules.ts).
    const effects = deleteEffects(this.state.records, object, id);
    if (effects.blockers.length > 0)
      return fail('DELETE_FAILED', deleteFailedMessage(object, effects.blockers));
    return {
      ok: true,
      id,
      apply: () => {
        const now = formatSfDateTime(Date.now());
        effects.apply(Date.now());
        this.state.records[object.name].delete(id);
        this.searchIndex.removed(id);
        this.state.deleted[object.name].set(id, {
          ...record,
          IsDeleted: true,
          SystemModstamp: now,
          deletedDate: now,
        });
        return id;
      },
    };
  }

  private validateFields(
    object: ObjectDef,
    input: Record<string, unknown>,
    version: number,
  ): { values: Record<string, unknown> } | { errors: RecordError[] } {
    const values: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(input)) {
      const field = findField(object, key, version);
      if (!field)
        return {
          errors: [err('INVALID_FIELD', `No such column '${key}' on sobject of type ${object.name}`, [key])],
        };
      if (field.readonly) {
        return {
          errors: [
            err(
              'INVALID_FIELD_FOR_INSERT_UPDATE',
              `Unable to create/update fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
              [field.name],
            ),
          ],
        };
      }
      const coerced = this.coerce(field, raw);
      if (coerced instanceof CoerceFailure) return { errors: [coerced.error] };
      values[field.name] = coerced;
    }
    return { values };
  }

  private coerce(field: FieldDef, raw: unknown): unknown {
    const bad = () =>
      new CoerceFailure(
        err(
          'INVALID_TYPE_ON_FIELD_IN_RECORD',
          `${field.name}: value not of required type: ${JSON.stringify(raw)}`,
          [field.name],
        ),
      );
    if (raw === null || raw === undefined || raw === '') {
      if (field.type === 'boolean') return bad();
      return null;
    }
    switch (field.type) {
      case 'boolean':
        if (typeof raw === 'boolean') return raw;
        if (raw === 'true' || raw === 'false') return raw === 'true';
        return bad();
      case 'datetime': {
        const ms = typeof raw === 'string' ? parseSfDateTime(raw) : Number.NaN;
        return Number.isNaN(ms) ? bad() : formatSfDateTime(ms);
      }
      case 'date':
        return typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(raw) ? raw : bad();
      case 'reference': {
        const id = typeof raw === 'string' ? toId18(raw) : undefined;
        if (!id)
          return new CoerceFailure(
            err('MALFORMED_ID', `${field.name}: id value of incorrect type: ${JSON.stringify(raw)}`, [
              field.name,
            ]),
          );
        const targets = (field.referenceTo ?? []).map((t) => OBJECTS[t]).filter(Boolean);
        if (targets.length > 0 && !targets.some((t) => this.state.records[t.name].has(id))) {
          return new CoerceFailure(
            err('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [field.name]),
          );
        }
        return id;
      }
      case 'picklist': {
        if (typeof raw !== 'string') return bad();
        const value = raw;
        if (field.restricted && !(field.values ?? []).includes(value)) {
          return new CoerceFailure(
            err(
              'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
              `${field.name}: bad value for restricted picklist field: ${value}`,
              [field.name],
            ),
          );
        }
        return value;
      }
      case 'id':
      case 'string':
      case 'email':
      case 'phone': {
        if (typeof raw !== 'string' && typeof raw !== 'number') return bad();
        const value = String(raw);
        if (value.length > 255)
          return new CoerceFailure(
            err(
              'STRING_TOO_LONG',
              `${field.name}: data value too large: ${value.slice(0, 40)}... (max length=255)`,
              [field.name],
            ),
          );
        return value;
      }
    }
  }
}

export interface SeedInput {
  individuals?: Array<Record<string, unknown>> | number;
  contacts?: Array<Record<string, unknown>> | number;
  leads?: Array<Record<string, unknown>> | number;
  /** Any modelled type: `{ ContactPointTypeConsent: [...] }`. */
  records?: Record<string, Array<Record<string, unknown>> | number>;
}

// ------------------------------------------------------------------ helpers

function err(statusCode: string, message: string, fields: string[] = []): RecordError {
  return { statusCode, message, fields };
}

function fail(statusCode: string, message: string, fields: string[] = []): PlannedWrite {
  return { ok: false, errors: [err(statusCode, message, fields)] };
}

function toApiError(errors: RecordError[], status = 400): SalesforceApiError {
  const e = errors[0];
  return new SalesforceApiError(status, e.statusCode, e.message, e.fields.length > 0 ? e.fields : undefined);
}

/** Unconfirmed wording: Salesforce's answer to a collection call with more than 200 records. */
function exceededIdLimit(): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'EXCEEDED_ID_LIMIT',
    'record limit reached. cannot submit more than 200 records into this call',
  );
}

function collectionBody(input: unknown): { allOrNone: boolean; records: unknown[] } {
  if (!isPlainObject(input) || !Array.isArray(input.records)) {
    throw new SalesforceApiError(400, 'JSON_PARSER_ERROR', 'records must be an array');
  }
  if (input.records.length > MAX_COLLECTION) throw exceededIdLimit();
  return { allOrNone: input.allOrNone === true, records: input.records };
}

/** Applies all plans, or (allOrNone with any failure) none, answering per-record results in input order. */
function commit(plans: PlannedWrite[], allOrNone: boolean): SaveResult[] {
  const anyFailed = plans.some((p) => !p.ok);
  if (allOrNone && anyFailed) {
    return plans.map((p) =>
      p.ok
        ? {
            success: false,
            errors: [
              err(
                'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                'Record rolled back because not all records were valid and the request was using AllOrNone header',
              ),
            ],
          }
        : { success: false, errors: p.errors },
    );
  }
  return plans.map((p) =>
    p.ok ? { id: p.apply(), success: true, errors: [] } : { success: false, errors: p.errors },
  );
}

function project(
  object: ObjectDef,
  record: Record<string, unknown>,
  fieldNames: string[] | undefined,
  version: number,
  apiPrefix: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attributes: { type: object.name, url: `${apiPrefix}/sobjects/${object.name}/${String(record.Id)}` },
  };
  const fields = fieldNames
    ? fieldNames.map((n) => {
        const f = findField(object, n.trim(), version);
        if (!f)
          throw new SalesforceApiError(
            400,
            'INVALID_FIELD',
            `No such column '${n.trim()}' on sobject of type ${object.name}`,
          );
        return f;
      })
    : object.fields.filter((f) => !f.minVersion || version >= f.minVersion);
  for (const f of fields) out[f.name] = record[f.name] ?? null;
  return out;
}

function describe(object: ObjectDef, version: number): Record<string, unknown> {
  return {
    name: object.name,
    label: object.name,
    keyPrefix: object.keyPrefix,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    replicateable: true,
    urls: { sobject: `/services/data/v${version}.0/sobjects/${object.name}` },
    fields: object.fields
      .filter((f) => !f.minVersion || version >= f.minVersion)
      .map((f) => ({
        name: f.name,
        label: f.name,
        type: f.type === 'datetime' ? 'datetime' : f.type,
        nillable: !f.required && f.type !== 'boolean',
        createable: !f.readonly,
        updateable: !f.readonly,
        defaultedOnCreate: f.type === 'boolean' || f.readonly === true,
        referenceTo: f.referenceTo ?? [],
        restrictedPicklist: f.restricted === true,
        picklistValues: (f.values ?? []).map((v) => ({
          value: v,
          label: v,
          active: true,
          defaultValue: false,
        })),
        length: f.type === 'string' || f.type === 'picklist' ? 255 : 0,
      })),
  };
}

function syntheticRecord(object: ObjectDef, n: number): Record<string, unknown> {
  const phone = `+1650555${String(n % 10000).padStart(4, '0')}`;
  switch (object.name) {
    case 'Individual':
      return { FirstName: 'Seed', LastName: `Individual ${n}` };
    case 'Contact':
      return { FirstName: 'Seed', LastName: `Contact ${n}`, MobilePhone: phone };
    case 'Lead':
      return { FirstName: 'Seed', LastName: `Lead ${n}`, Company: 'Sandbox Inc.', MobilePhone: phone };
    default:
      return { Name: `${object.name} ${n}` };
  }
}

function stripAttributes(rec: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...rec };
  delete rest.attributes;
  return rest;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function matchesFault(f: FaultSpec, method: string, path: string): boolean {
  return (!f.method || f.method.toUpperCase() === method) && (!f.path || path.includes(f.path));
}

function isFaultKind(v: unknown): v is FaultKind {
  return [
    '500',
    'timeout',
    'expire_tokens',
    'refresh_fails',
    'refresh_ok_but_401_persists',
    'request_limit',
  ].includes(String(v));
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1].trim();
}

/** `Sforce-Query-Options: batchSize=n` (200..2000) overrides the default batch size, as in Salesforce. */
function queryBatchSize(req: IncomingMessage, fallback = 2000): number {
  const header = req.headers['sforce-query-options'];
  const m = /batchSize=(\d+)/i.exec(Array.isArray(header) ? header.join(',') : (header ?? ''));
  if (!m) return fallback;
  return Math.min(2000, Math.max(200, Number(m[1])));
}

function floorMinute(ms: number): number {
  return Math.floor(ms / 60_000) * 60_000;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
