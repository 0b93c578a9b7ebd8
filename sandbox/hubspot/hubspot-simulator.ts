import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { batchArchive, batchCreate, batchRead, batchUpdate, batchUpsert } from './hubspot-batch';
import {
  archiveContact,
  createContact,
  createContactRecord,
  gdprDelete,
  getContact,
  listContacts,
  updateContact,
  validateProperties,
  applyProperties,
  type CrmContext,
} from './hubspot-contacts';
import {
  asArray,
  asRecord,
  correlationId,
  errorBody,
  HubSpotHttpError,
  isRecord,
  notFound,
  optNumber,
  optString,
  sleep,
  validationError,
  type SimResponse,
} from './hubspot-http';
import {
  v3Definitions,
  v3GetStatus,
  v3Subscribe,
  v3Unsubscribe,
  v4BatchRead,
  v4BatchUnsubscribeAll,
  v4BatchUnsubscribeAllRead,
  v4BatchWrite,
  v4Definitions,
  v4GetStatuses,
  v4GetUnsubscribeAll,
  v4PostStatus,
  v4PostUnsubscribeAll,
  type PreferencesContext,
} from './hubspot-preferences';
import { createProperty, getProperty, listProperties } from './hubspot-properties';
import {
  seedRealisticContacts,
  type SeedRealisticContactsInput,
  type SeedRealisticContactsResult,
} from './hubspot-realistic-seed';
import { searchContacts } from './hubspot-search';
import {
  DEFAULT_SCOPES,
  FAULT_KINDS,
  newPortal,
  type AuthCodeRecord,
  type CallLog,
  type CallLogEntry,
  type Fault,
  type FaultKind,
  type PortalState,
  type RefreshTokenRecord,
  type TokenRecord,
  type WebhookEvent,
} from './hubspot-state';
import {
  completeWebhookEvent,
  sendWebhooks,
  type SendWebhooksOptions,
  type WebhookDelivery,
  type WebhookEventInput,
} from './hubspot-webhooks';

/**
 * A local, in-memory HubSpot that the real `@hubspot/api-client` 13.5.0 can talk to (point its `basePath`
 * at `start()`'s URL). It serves OAuth v1 (+ the 2026-03 replacement), CRM contacts (basic, list, search,
 * batch, GDPR delete), contact properties, communication preferences v3 and v4, per-portal rate limits
 * with HubSpot's 429 bodies and headers, HubSpot's 401 bodies, fault injection, latency, and a signed
 * webhook sender. Control it in-process through its methods or over HTTP under `/__admin/`.
 *
 * Phones are stored as typed (reference §3): every property keeps exactly the string written; search
 * compares stored strings (trimmed, case-insensitive), so an E.164 search on `phone` misses "+49 1511 …";
 * the `hs_searchable_calculated_*` properties (hubspot-phone.ts) are what finds them.
 * `seedRealisticContacts()` fills a portal with people typed the way real portals hold them.
 *
 * Facts follow /work/shared/reference/hubspot.md; every place where that reference (or HubSpot) leaves a
 * detail unconfirmed is marked "unconfirmed" next to the assumption made.
 */

export interface HubSpotSimulatorOptions {
  /** Burst limit per portal; default 100 requests per 10 s rolling window (private app, Free/Starter). */
  rateLimit?: { max: number; windowMs: number };
  /** CRM search limit per portal; default 5 per second (reference §7). `null` disables it. */
  searchRateLimit?: { max: number; windowMs: number } | null;
  /** Daily request limit per portal; default 250,000. */
  dailyLimit?: number;
  /** Delay before every API response (not admin), ms. */
  latencyMs?: number;
  /** OAuth access-token lifetime; default 1800 s (30 min). */
  tokenTtlSeconds?: number;
  clientId?: string;
  clientSecret?: string;
  /** Portal created by `start()` if none exists; default true (token `pat-na1-sandbox`). */
  defaultPortal?: boolean;
  /**
   * The default portal's id. Real portal ids are unique, and the gateway tells accounts apart by them: by default
   * the first simulator of a process is portal 1000001, the next 1000002, and so on.
   */
  portalId?: number;
  /** Whether portals have the undocumented `hs_whatsapp_phone_number` property; default true. */
  whatsappPhoneProperty?: boolean;
  /** Let v4 accept `channel=WHATSAPP` (HubSpot documents EMAIL only); default false. */
  allowWhatsAppChannel?: boolean;
  /** How long a `timeout` fault holds the request before dropping the socket; default 30,000 ms. */
  timeoutFaultMs?: number;
  /** Clock source (ms epoch); default `Date.now`. `advanceClock()` adds to it. */
  now?: () => number;
  /**
   * Search does not see a contact created or updated less than this long ago (reference §3: "the search
   * index lags writes by a few seconds"); list and get by id see it at once. Default 0 (no lag).
   */
  searchLagMs?: number;
  /**
   * Portal default country (ISO alpha-2) for reading national phone numbers of contacts without
   * `hs_country_region_code` into the calculated phone properties. Default none: such numbers get none.
   */
  defaultCountry?: string;
}

export interface SimulatorState {
  portals: Map<number, PortalState>;
  tokens: Map<string, TokenRecord>;
  refreshTokens: Map<string, RefreshTokenRecord>;
  authCodes: Map<string, AuthCodeRecord>;
  faults: Fault[];
  callLog: CallLog;
  latencyMs: number;
}

export interface CreatePortalInput {
  portalId?: number;
  /** Private-app token to register (default `pat-na1-<uuid>`); never expires. */
  token?: string;
  scopes?: string[];
  appId?: number;
}

export interface CreatedPortal {
  portalId: number;
  hubDomain: string;
  appId: number;
  accessToken: string;
}

export interface SeedContactsInput {
  portalId?: number;
  /** Generate this many contacts: phone `${phonePrefix}${id padded to 8}`, email `contact<id>@<emailDomain>`. */
  count?: number;
  /** Explicit contacts (HubSpot property maps). */
  contacts?: Array<Record<string, string>>;
  phonePrefix?: string;
  emailDomain?: string;
  /** Also fill `hs_whatsapp_phone_number` / `mobilephone` with the generated phone. */
  whatsapp?: boolean;
  mobile?: boolean;
  /** Extra properties set on every generated contact. */
  properties?: Record<string, string>;
}

export interface SeedContactsResult {
  portalId: number;
  created: number;
  firstId?: string;
  lastId?: string;
}

export interface FaultInput {
  kind: FaultKind;
  count?: number;
  path?: string;
}

interface Route {
  method: string;
  pattern: RegExp;
  kind: 'crm' | 'prefs';
  handle: (ctx: PreferencesContext, params: string[]) => SimResponse;
}

const PREFS = '/communication-preferences/(?:v4|2026-03)';

const ROUTES: Route[] = [
  crm('GET', '^/crm/v3/objects/contacts$', (c) => listContacts(c, c.baseUrl)),
  crm('POST', '^/crm/v3/objects/contacts$', (c) => createContact(c)),
  crm('POST', '^/crm/v3/objects/contacts/search$', (c) => searchContacts(c, c.baseUrl)),
  crm('POST', '^/crm/v3/objects/contacts/batch/read$', (c) => batchRead(c)),
  crm('POST', '^/crm/v3/objects/contacts/batch/update$', (c) => batchUpdate(c)),
  crm('POST', '^/crm/v3/objects/contacts/batch/upsert$', (c) => batchUpsert(c)),
  crm('POST', '^/crm/v3/objects/contacts/batch/create$', (c) => batchCreate(c)),
  crm('POST', '^/crm/v3/objects/contacts/batch/archive$', (c) => batchArchive(c)),
  crm('POST', '^/crm/v3/objects/contacts/gdpr-delete$', (c) => gdprDelete(c)),
  crm('GET', '^/crm/v3/objects/contacts/([^/]+)$', (c, [id]) => getContact(c, id)),
  crm('PATCH', '^/crm/v3/objects/contacts/([^/]+)$', (c, [id]) => updateContact(c, id)),
  crm('DELETE', '^/crm/v3/objects/contacts/([^/]+)$', (c, [id]) => archiveContact(c, id)),
  crm('GET', '^/crm/v3/properties/contacts$', (c) => listProperties(c)),
  // Account details (GET /account-info/v3/details): how a private-app token learns its portal id.
  crm('GET', '^/account-info/v3/details$', (c) => ({
    status: 200,
    body: {
      portalId: c.portal.portalId,
      accountType: 'STANDARD',
      timeZone: 'Europe/Berlin',
      companyCurrency: 'EUR',
      additionalCurrencies: [],
      utcOffset: '+01:00',
      utcOffsetMilliseconds: 3_600_000,
      uiDomain: 'app.hubspot.com',
      dataHostingLocation: 'eu1',
    },
  })),
  crm('POST', '^/crm/v3/properties/contacts$', (c) => createProperty(c)),
  crm('GET', '^/crm/v3/properties/contacts/([^/]+)$', (c, [name]) => getProperty(c, name)),
  prefs('GET', '^/communication-preferences/v3/definitions$', (c) => v3Definitions(c)),
  prefs('GET', '^/communication-preferences/v3/status/email/([^/]+)$', (c, [e]) => v3GetStatus(c, e)),
  prefs('POST', '^/communication-preferences/v3/subscribe$', (c) => v3Subscribe(c)),
  prefs('POST', '^/communication-preferences/v3/unsubscribe$', (c) => v3Unsubscribe(c)),
  prefs('GET', `^${PREFS}/definitions$`, (c) => v4Definitions(c)),
  prefs('POST', `^${PREFS}/statuses/batch/read$`, (c) => v4BatchRead(c)),
  prefs('POST', `^${PREFS}/statuses/batch/write$`, (c) => v4BatchWrite(c)),
  prefs('POST', `^${PREFS}/statuses/batch/unsubscribe-all$`, (c) => v4BatchUnsubscribeAll(c)),
  prefs('POST', `^${PREFS}/statuses/batch/unsubscribe-all/read$`, (c) => v4BatchUnsubscribeAllRead(c)),
  prefs('GET', `^${PREFS}/statuses/([^/]+)/unsubscribe-all$`, (c, [s]) => v4GetUnsubscribeAll(c, s)),
  prefs('POST', `^${PREFS}/statuses/([^/]+)/unsubscribe-all$`, (c, [s]) => v4PostUnsubscribeAll(c, s)),
  prefs('GET', `^${PREFS}/statuses/([^/]+)$`, (c, [s]) => v4GetStatuses(c, s)),
  prefs('POST', `^${PREFS}/statuses/([^/]+)$`, (c, [s]) => v4PostStatus(c, s)),
];

type RouteContext = PreferencesContext & { baseUrl: string };

function crm(method: string, pattern: string, handle: (c: RouteContext, p: string[]) => SimResponse): Route {
  return { method, pattern: new RegExp(pattern), kind: 'crm', handle: handle as Route['handle'] };
}

function prefs(
  method: string,
  pattern: string,
  handle: (c: RouteContext, p: string[]) => SimResponse,
): Route {
  return { method, pattern: new RegExp(pattern), kind: 'prefs', handle: handle as Route['handle'] };
}

const RECENT_CALLS = 500;
const SEARCH_PATH = '/crm/v3/objects/contacts/search';
const MISSING_AUTH_MESSAGE =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

interface ParsedRequest {
  method: string;
  path: string;
  /** Path + query, for fault matching and the call log. */
  pathWithQuery: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: string;
  body: unknown;
}

/** The default portal id of the next simulator made in this process (each is an account of its own). */
let nextDefaultPortalId = 1_000_001;

export class HubSpotSimulator {
  readonly state: SimulatorState;
  private readonly options: Required<
    Omit<HubSpotSimulatorOptions, 'searchRateLimit' | 'now' | 'defaultCountry' | 'portalId'>
  > & {
    searchRateLimit: { max: number; windowMs: number } | null;
    now: () => number;
    defaultCountry?: string;
  };
  private server?: Server;
  private baseUrl = '';
  private clockOffsetMs = 0;
  private nextPortalId = 1_000_001;
  /** The id of the portal start() and reset() create (HubSpotSimulatorOptions.portalId). */
  private readonly defaultPortalId: number;
  private readonly hanging = new Set<ServerResponse>();

  constructor(options: HubSpotSimulatorOptions = {}) {
    this.defaultPortalId = options.portalId ?? nextDefaultPortalId++;
    this.nextPortalId = this.defaultPortalId;
    this.options = {
      rateLimit: options.rateLimit ?? { max: 100, windowMs: 10_000 },
      searchRateLimit:
        options.searchRateLimit === undefined ? { max: 5, windowMs: 1000 } : options.searchRateLimit,
      dailyLimit: options.dailyLimit ?? 250_000,
      latencyMs: options.latencyMs ?? 0,
      tokenTtlSeconds: options.tokenTtlSeconds ?? 1800,
      clientId: options.clientId ?? 'sandbox-client-id',
      clientSecret: options.clientSecret ?? 'sandbox-client-secret',
      defaultPortal: options.defaultPortal ?? true,
      whatsappPhoneProperty: options.whatsappPhoneProperty ?? true,
      allowWhatsAppChannel: options.allowWhatsAppChannel ?? false,
      timeoutFaultMs: options.timeoutFaultMs ?? 30_000,
      now: options.now ?? Date.now,
      searchLagMs: options.searchLagMs ?? 0,
      defaultCountry: options.defaultCountry,
    };
    this.state = {
      portals: new Map(),
      tokens: new Map(),
      refreshTokens: new Map(),
      authCodes: new Map(),
      faults: [],
      callLog: emptyCallLog(),
      latencyMs: this.options.latencyMs,
    };
  }

  get clientId(): string {
    return this.options.clientId;
  }

  get clientSecret(): string {
    return this.options.clientSecret;
  }

  /** The base URL once started (no trailing slash: the SDK appends `/crm/v3/…`). */
  get url(): string {
    return this.baseUrl;
  }

  // ------------------------------------------------------------------ lifecycle

  async start(port = 0): Promise<string> {
    if (this.server) return this.baseUrl;
    if (this.options.defaultPortal && this.state.portals.size === 0) {
      this.createPortal({ portalId: this.defaultPortalId, token: 'pat-na1-sandbox' });
    }
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  // ------------------------------------------------------------------ control API (also under /__admin/)

  now(): number {
    return this.options.now() + this.clockOffsetMs;
  }

  /** Moves the simulator's clock forward (token expiry, rate-limit windows). */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  createPortal(input: CreatePortalInput = {}): CreatedPortal {
    const portalId = input.portalId ?? this.nextPortalId;
    if (this.state.portals.has(portalId))
      throw new HubSpotHttpError(409, errorBody('CONFLICT', `Portal ${portalId} exists`));
    this.nextPortalId = Math.max(this.nextPortalId, portalId + 1);
    const appId = input.appId ?? 5_000_000 + (portalId % 1_000_000);
    const portal = newPortal(
      portalId,
      appId,
      new Date(this.now()).toISOString(),
      this.options.whatsappPhoneProperty,
    );
    portal.defaultCountry = this.options.defaultCountry;
    this.state.portals.set(portalId, portal);
    const token = input.token ?? `pat-na1-${randomUUID()}`;
    if (this.state.tokens.has(token))
      throw new HubSpotHttpError(409, errorBody('CONFLICT', 'Token already registered'));
    this.state.tokens.set(token, {
      token,
      kind: 'private_app',
      portalId,
      scopes: input.scopes ?? DEFAULT_SCOPES,
      expiresAt: null,
      userId: 1,
      user: 'sandbox-admin@example.com',
    });
    return { portalId, hubDomain: portal.hubDomain, appId, accessToken: token };
  }

  portal(portalId?: number): PortalState {
    const portal =
      portalId === undefined ? this.state.portals.values().next().value : this.state.portals.get(portalId);
    if (!portal)
      throw new HubSpotHttpError(404, errorBody('OBJECT_NOT_FOUND', `No portal ${portalId ?? ''}`.trim()));
    return portal;
  }

  /** Seeds contacts directly (no validation of generated values, no webhooks): fast for 100k+. */
  seedContacts(input: SeedContactsInput): SeedContactsResult {
    const portal = this.portal(input.portalId);
    const nowIso = new Date(this.now()).toISOString();
    const prefix = input.phonePrefix ?? '+49151';
    const domain = input.emailDomain ?? 'example.com';
    let firstId: string | undefined;
    let lastId: string | undefined;
    let created = 0;
    const note = (id: string) => {
      firstId ??= id;
      lastId = id;
      created++;
    };
    for (const properties of input.contacts ?? []) {
      const values = validateProperties(portal, properties, true);
      const existing = values.email ? portal.emailIndex.get(values.email.toLowerCase()) : undefined;
      if (existing) {
        throw new HubSpotHttpError(
          409,
          errorBody('CONFLICT', `Contact already exists. Existing ID: ${existing}`),
        );
      }
      note(createContactRecord(portal, values, nowIso).id);
    }
    const extra = input.properties ?? {};
    for (let i = 0; i < (input.count ?? 0); i++) {
      const id = String(portal.nextContactId);
      const phone = `${prefix}${id.padStart(8, '0')}`;
      const values: Record<string, string> = {
        email: `contact${id}@${domain}`,
        firstname: 'Test',
        lastname: `Contact ${id}`,
        phone,
        ...extra,
      };
      if (input.whatsapp) values.hs_whatsapp_phone_number = phone;
      if (input.mobile) values.mobilephone = phone;
      note(createContactRecord(portal, values, nowIso).id);
    }
    return { portalId: portal.portalId, created, firstId, lastId };
  }

  /**
   * Seeds people as real portals hold them (sandbox/seed/realistic-people.ts): phones typed in many formats
   * in `phone` / `mobilephone` / `hs_whatsapp_phone_number`, `hs_country_region_code`, duplicates,
   * email-only and malformed records. Direct writes (no webhooks). Returns each contact's id with the
   * generated person (its `e164` and `expectedMatchable` are the truth to assert against).
   */
  seedRealisticContacts(input: SeedRealisticContactsInput): SeedRealisticContactsResult {
    return seedRealisticContacts(this.portal(input.portalId), new Date(this.now()).toISOString(), input);
  }

  /** The phone number `seedContacts({count})` generated for a contact id. */
  static seededPhone(id: string | number, phonePrefix = '+49151'): string {
    return `${phonePrefix}${String(id).padStart(8, '0')}`;
  }

  injectFault(input: FaultInput): Fault {
    if (!FAULT_KINDS.includes(input.kind)) {
      throw validationError(`kind must be one of ${FAULT_KINDS.join(', ')}`);
    }
    const fault: Fault = { kind: input.kind, remaining: input.count ?? 1, path: input.path };
    this.state.faults.push(fault);
    return fault;
  }

  clearFaults(): void {
    this.state.faults.length = 0;
  }

  setLatency(ms: number): void {
    this.state.latencyMs = Math.max(0, ms);
  }

  /** Forgets everything (portals, tokens, faults, calls); re-creates the default portal if configured. */
  reset(): void {
    this.state.portals.clear();
    this.state.tokens.clear();
    this.state.refreshTokens.clear();
    this.state.authCodes.clear();
    this.state.faults.length = 0;
    this.state.callLog = emptyCallLog();
    this.state.latencyMs = this.options.latencyMs;
    this.clockOffsetMs = 0;
    this.nextPortalId = this.defaultPortalId;
    if (this.options.defaultPortal)
      this.createPortal({ portalId: this.defaultPortalId, token: 'pat-na1-sandbox' });
  }

  /** Issues an authorization code as `/oauth/authorize` would after the user approved. */
  issueAuthorizationCode(input: { redirectUri: string; portalId?: number; scopes?: string[] }): string {
    const portal = this.portal(input.portalId);
    const code = randomUUID();
    this.state.authCodes.set(code, {
      code,
      portalId: portal.portalId,
      clientId: this.options.clientId,
      redirectUri: input.redirectUri,
      scopes: input.scopes ?? DEFAULT_SCOPES,
      expiresAt: this.now() + 5 * 60_000,
    });
    return code;
  }

  /** A HubSpot user edits a contact in the CRM UI: properties change, `CRM_UI` webhook events are queued. */
  simulateUiChange(contactId: string, properties: Record<string, string>, portalId?: number): void {
    const portal = this.portal(portalId);
    const contact = portal.contacts.get(contactId);
    if (!contact) throw notFound();
    const ctx = this.crmContext(portal, new URLSearchParams(), undefined, {
      changeSource: 'CRM_UI',
      sourceId: 'userId:45678',
    });
    applyProperties(ctx, contact, validateProperties(portal, properties, true));
  }

  /** Returns and clears the webhook events API calls produced (propertyChange, creation, privacyDeletion …). */
  takeWebhookEvents(portalId?: number): WebhookEvent[] {
    const portal = this.portal(portalId);
    return portal.webhookOutbox.splice(0, portal.webhookOutbox.length);
  }

  /** Posts signed v3 webhook requests (JSON array bodies) to `targetUrl`. */
  sendWebhooks(
    targetUrl: string,
    appSecret: string,
    events: WebhookEventInput[],
    options: SendWebhooksOptions = {},
  ): Promise<WebhookDelivery[]> {
    const portal = this.state.portals.values().next().value;
    return sendWebhooks(targetUrl, appSecret, events, {
      portalId: portal?.portalId,
      appId: portal?.appId,
      ...options,
    });
  }

  /** Delivers (and clears) the queued webhook events of a portal. */
  async flushWebhooks(targetUrl: string, appSecret: string, portalId?: number): Promise<WebhookDelivery[]> {
    const events = this.takeWebhookEvents(portalId);
    if (events.length === 0) return [];
    return sendWebhooks(targetUrl, appSecret, events);
  }

  /** JSON-friendly view of the state (what GET /__admin/state returns). */
  snapshot(options: { contacts?: boolean; contactLimit?: number } = {}): Record<string, unknown> {
    const limit = options.contactLimit ?? 1000;
    return {
      latencyMs: this.state.latencyMs,
      clock: new Date(this.now()).toISOString(),
      faults: this.state.faults,
      portals: [...this.state.portals.values()].map((p) => ({
        portalId: p.portalId,
        hubDomain: p.hubDomain,
        appId: p.appId,
        contactCount: p.contacts.size,
        contacts: options.contacts ? [...p.contacts.values()].slice(0, limit) : undefined,
        properties: [...p.properties.values()].filter((d) => !d.hubspotDefined).map((d) => d.name),
        subscriptionDefinitions: p.subscriptionDefinitions.map((d) => ({
          id: d.id,
          name: d.name,
          channel: d.channel,
        })),
        preferences: Object.fromEntries(
          [...p.preferences.entries()].map(([k, m]) => [k, Object.fromEntries(m.entries())]),
        ),
        unsubscribedFromAll: Object.fromEntries(p.unsubscribedFromAll.entries()),
        gdprBlocklist: [...p.gdprBlocklist],
        gdprDeletedIds: [...p.gdprDeletedIds],
        pendingWebhookEvents: p.webhookOutbox.length,
        requestsInWindow: p.burstWindow.length,
      })),
      tokens: [...this.state.tokens.values()].map((t) => ({
        kind: t.kind,
        portalId: t.portalId,
        tokenPrefix: t.token.slice(0, 12),
        expiresAt: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(),
      })),
      callLog: this.state.callLog,
    };
  }

  // ------------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let parsed: ParsedRequest | undefined;
    let portalId: number | undefined;
    let fault: FaultKind | undefined;
    let result: SimResponse;
    try {
      parsed = await parseRequest(req);
      if (parsed.path.startsWith('/__admin/') || parsed.path === '/__admin') {
        this.reply(res, this.handleAdmin(parsed));
        return;
      }
      if (this.state.latencyMs > 0) await sleep(this.state.latencyMs);
      const outcome = await this.handleApi(parsed, res);
      if (outcome === 'hung') {
        fault = 'timeout';
        this.log(parsed, 0, started, undefined, fault);
        return;
      }
      ({ result, portalId, fault } = outcome);
    } catch (err) {
      result = toResponse(err);
    }
    this.reply(res, result);
    if (parsed && !parsed.path.startsWith('/__admin'))
      this.log(parsed, result.status, started, portalId, fault);
  }

  private reply(res: ServerResponse, result: SimResponse) {
    if (res.destroyed || res.headersSent) return;
    const headers: Record<string, string> = { ...result.headers };
    if (result.status === 204 || result.body === undefined) {
      res.writeHead(result.status, headers);
      res.end();
      return;
    }
    // The SDK throws "Cannot parse content. No Content-Type defined." without this (reference §9).
    headers['Content-Type'] = 'application/json;charset=utf-8';
    res.writeHead(result.status, headers);
    res.end(JSON.stringify(result.body));
  }

  private log(req: ParsedRequest, status: number, started: number, portalId?: number, fault?: FaultKind) {
    const log = this.state.callLog;
    log.total++;
    log.byStatus[String(status)] = (log.byStatus[String(status)] ?? 0) + 1;
    if (status === 429) log.rateLimited++;
    if (fault) log.faultsInjected++;
    const entry: CallLogEntry = {
      at: new Date(this.now()).toISOString(),
      method: req.method,
      path: req.pathWithQuery,
      status,
      portalId,
      fault,
      durationMs: Date.now() - started,
    };
    log.recent.push(entry);
    if (log.recent.length > RECENT_CALLS) log.recent.splice(0, log.recent.length - RECENT_CALLS);
  }

  /** Takes one unit of the first fault of an applicable kind whose path matches. */
  private takeFault(req: ParsedRequest, kinds: FaultKind[]): FaultKind | undefined {
    const index = this.state.faults.findIndex(
      (f) => f.remaining > 0 && kinds.includes(f.kind) && (!f.path || req.pathWithQuery.includes(f.path)),
    );
    if (index < 0) return undefined;
    const fault = this.state.faults[index];
    fault.remaining--;
    if (fault.remaining <= 0) this.state.faults.splice(index, 1);
    return fault.kind;
  }

  private hang(res: ServerResponse) {
    this.hanging.add(res);
    const timer = setTimeout(() => {
      this.hanging.delete(res);
      res.destroy();
    }, this.options.timeoutFaultMs);
    res.on('close', () => {
      clearTimeout(timer);
      this.hanging.delete(res);
    });
  }

  private async handleApi(
    req: ParsedRequest,
    res: ServerResponse,
  ): Promise<{ result: SimResponse; portalId?: number; fault?: FaultKind } | 'hung'> {
    const generic = this.takeFault(req, ['500', 'timeout', '429']);
    if (generic === 'timeout') {
      this.hang(res);
      return 'hung';
    }
    if (generic === '500') {
      // HubSpot's 5xx body is not documented in the reference (unconfirmed); HubSpot-style error shape.
      return {
        result: { status: 500, body: errorBody('INTERNAL_ERROR', 'internal error (injected fault)') },
        fault: generic,
      };
    }
    if (req.path.startsWith('/oauth/')) {
      if (generic === '429') return { result: this.rateLimited(undefined, 'burst'), fault: generic };
      return this.handleOAuth(req);
    }

    const auth = this.authenticate(req);
    const portal = this.state.portals.get(auth.portalId);
    if (!portal) throw new HubSpotHttpError(401, errorBody('INVALID_AUTHENTICATION', MISSING_AUTH_MESSAGE));
    if (generic === '429')
      return { result: this.rateLimited(auth, 'burst'), portalId: portal.portalId, fault: generic };
    if (this.takeFault(req, ['expire_tokens'])) {
      if (auth.kind === 'oauth') auth.expiresAt = Math.min(auth.expiresAt ?? Infinity, this.now() - 1);
      return { result: expiredResponse(0), portalId: portal.portalId, fault: 'expire_tokens' };
    }

    const isSearch = req.path === SEARCH_PATH;
    const limited = this.checkRateLimit(portal, auth, isSearch);
    if (limited) return { result: limited, portalId: portal.portalId };

    const route = ROUTES.find((r) => r.method === req.method && r.pattern.test(req.path));
    let result: SimResponse;
    if (!route) {
      const pathExists = ROUTES.some((r) => r.pattern.test(req.path));
      result = pathExists
        ? {
            status: 405,
            body: errorBody('VALIDATION_ERROR', `Method ${req.method} not allowed on ${req.path}`),
          }
        : { status: 404, body: errorBody('OBJECT_NOT_FOUND', `Unable to route ${req.method} ${req.path}`) };
    } else {
      const params = (route.pattern.exec(req.path) ?? []).slice(1).map((p) => decodeURIComponent(p));
      const ctx: RouteContext = {
        ...this.crmContext(portal, req.query, req.body, {
          // Source reported for API writes in propertyChange events (exact values unconfirmed).
          changeSource: 'INTEGRATION',
          sourceId: String(portal.appId),
        }),
        allowWhatsAppChannel: this.options.allowWhatsAppChannel,
        baseUrl: this.baseUrl,
      };
      try {
        result = route.handle(ctx, params);
      } catch (err) {
        result = toResponse(err);
      }
    }
    if (!isSearch) result.headers = { ...result.headers, ...this.rateLimitHeaders(portal, auth) };
    return { result, portalId: portal.portalId };
  }

  private crmContext(
    portal: PortalState,
    query: URLSearchParams,
    body: unknown,
    changeSource: { changeSource: string; sourceId: string },
  ): CrmContext {
    return {
      portal,
      query,
      body,
      nowIso: () => new Date(this.now()).toISOString(),
      nowMs: () => this.now(),
      searchLagMs: this.options.searchLagMs,
      emit: (event) =>
        portal.webhookOutbox.push(
          completeWebhookEvent(
            { occurredAt: this.now(), ...event },
            { portalId: portal.portalId, appId: portal.appId },
          ),
        ),
      changeSource,
    };
  }

  // ------------------------------------------------------------------ auth and limits

  private authenticate(req: ParsedRequest): TokenRecord {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (!match) throw new HubSpotHttpError(401, errorBody('INVALID_AUTHENTICATION', MISSING_AUTH_MESSAGE));
    const token = this.state.tokens.get(match[1]);
    if (!token) {
      // Wording for an unknown token is unconfirmed; category per reference §10.
      throw new HubSpotHttpError(
        401,
        errorBody('INVALID_AUTHENTICATION', 'The OAuth token used to make this call is not valid.'),
      );
    }
    if (token.expiresAt !== null && token.expiresAt <= this.now()) {
      throw toError(expiredResponse(Math.floor((this.now() - token.expiresAt) / 60_000)));
    }
    return token;
  }

  private checkRateLimit(portal: PortalState, auth: TokenRecord, isSearch: boolean): SimResponse | undefined {
    const now = this.now();
    const day = new Date(now).toISOString().slice(0, 10);
    if (portal.daily.day !== day) portal.daily = { day, count: 0 };
    if (portal.daily.count >= this.options.dailyLimit) return this.rateLimited(auth, 'daily');
    const { max, windowMs } = this.options.rateLimit;
    prune(portal.burstWindow, now - windowMs);
    if (portal.burstWindow.length >= max) return this.rateLimited(auth, 'burst', portal);
    const search = this.options.searchRateLimit;
    if (isSearch && search) {
      prune(portal.searchWindow, now - search.windowMs);
      if (portal.searchWindow.length >= search.max) return this.rateLimited(auth, 'search');
      portal.searchWindow.push(now);
    }
    portal.burstWindow.push(now);
    portal.daily.count++;
    return undefined;
  }

  private rateLimitHeaders(portal: PortalState, auth: TokenRecord): Record<string, string> {
    const { max, windowMs } = this.options.rateLimit;
    prune(portal.burstWindow, this.now() - windowMs);
    const headers: Record<string, string> = {
      'X-HubSpot-RateLimit-Max': String(max),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, max - portal.burstWindow.length)),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(windowMs),
    };
    // Daily headers are not sent for OAuth calls (reference §7).
    if (auth.kind === 'private_app') {
      headers['X-HubSpot-RateLimit-Daily'] = String(this.options.dailyLimit);
      headers['X-HubSpot-RateLimit-Daily-Remaining'] = String(
        Math.max(0, this.options.dailyLimit - portal.daily.count),
      );
    }
    return headers;
  }

  /**
   * HubSpot's 429s (reference §7). No `Retry-After`: the reference does not say HubSpot sends one (the
   * SDK ignores it anyway); clients must back off on the X-HubSpot-RateLimit-* headers.
   */
  private rateLimited(
    auth: TokenRecord | undefined,
    kind: 'burst' | 'daily' | 'search',
    portal?: PortalState,
  ): SimResponse {
    const portalId = auth?.portalId ?? 0;
    const appId = this.state.portals.get(portalId)?.appId ?? 0;
    if (kind === 'search') {
      // Search 429s: "secondly" message, usually no policyName, no rate-limit headers (unconfirmed).
      return {
        status: 429,
        body: {
          status: 'error',
          message: 'You have reached your secondly limit.',
          errorType: 'RATE_LIMIT',
          correlationId: correlationId(),
        },
      };
    }
    const appKind = auth?.kind === 'oauth' ? 'oauth' : 'private_app';
    const body =
      kind === 'daily'
        ? {
            status: 'error',
            message: 'You have reached your daily limit.',
            errorType: 'RATE_LIMIT',
            correlationId: correlationId(),
            policyName: 'DAILY',
            groupName: `publicapi:${appKind}-api-calls-daily:${appId}:${portalId}`,
          }
        : {
            status: 'error',
            message: 'You have reached your ten_secondly_rolling limit.',
            errorType: 'RATE_LIMIT',
            correlationId: correlationId(),
            policyName: 'TEN_SECONDLY_ROLLING',
            groupName: `publicapi:${appKind}-api-calls-ten-secondly:${appId}:${portalId}`,
          };
    const { max, windowMs } = this.options.rateLimit;
    const headers: Record<string, string> = {
      'X-HubSpot-RateLimit-Max': String(max),
      'X-HubSpot-RateLimit-Remaining': '0',
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(windowMs),
    };
    if (portal && auth?.kind === 'private_app') {
      headers['X-HubSpot-RateLimit-Daily'] = String(this.options.dailyLimit);
      headers['X-HubSpot-RateLimit-Daily-Remaining'] = String(
        Math.max(0, this.options.dailyLimit - portal.daily.count),
      );
    }
    return { status: 429, body, headers };
  }

  // ------------------------------------------------------------------ OAuth

  private handleOAuth(req: ParsedRequest): { result: SimResponse; portalId?: number; fault?: FaultKind } {
    const { method, path } = req;
    if (method === 'GET' && path === '/oauth/authorize') return { result: this.authorize(req) };
    if (
      method === 'POST' &&
      (path === '/oauth/v1/token' || path === '/oauth/2026-03/token' || path === '/oauth/v3/token')
    ) {
      const params = formParams(req);
      if (params.get('grant_type') === 'refresh_token' && this.takeFault(req, ['refresh_fails'])) {
        return {
          result: oauthError(
            'BAD_REFRESH_TOKEN',
            'invalid_grant',
            'refresh token is invalid, expired or revoked',
          ),
          fault: 'refresh_fails',
        };
      }
      return this.token(params);
    }
    let m = /^\/oauth\/v1\/access-tokens\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const token = this.state.tokens.get(decodeURIComponent(m[1]));
      // Answer for unknown/expired tokens unconfirmed: 404 with HubSpot's error shape.
      if (!token || token.kind !== 'oauth' || (token.expiresAt ?? 0) <= this.now()) {
        return { result: { status: 404, body: errorBody('OBJECT_NOT_FOUND', 'Token not found') } };
      }
      const portal = this.state.portals.get(token.portalId);
      return {
        result: {
          status: 200,
          body: {
            token: token.token,
            user: token.user,
            hub_domain: portal?.hubDomain,
            scopes: token.scopes,
            hub_id: token.portalId,
            app_id: portal?.appId,
            expires_in: Math.max(0, Math.floor(((token.expiresAt ?? 0) - this.now()) / 1000)),
            user_id: token.userId,
            token_type: 'access',
          },
        },
        portalId: token.portalId,
      };
    }
    m = /^\/oauth\/v1\/refresh-tokens\/([^/]+)$/.exec(path);
    if (m && (method === 'GET' || method === 'DELETE')) {
      const record = this.state.refreshTokens.get(decodeURIComponent(m[1]));
      if (!record || record.revoked)
        return { result: { status: 404, body: errorBody('OBJECT_NOT_FOUND', 'Token not found') } };
      if (method === 'DELETE') {
        record.revoked = true;
        return { result: { status: 204 }, portalId: record.portalId };
      }
      const portal = this.state.portals.get(record.portalId);
      return {
        result: {
          status: 200,
          body: {
            token: record.token,
            user: record.user,
            hub_domain: portal?.hubDomain,
            scopes: record.scopes,
            hub_id: record.portalId,
            client_id: record.clientId,
            user_id: record.userId,
            token_type: 'refresh',
          },
        },
        portalId: record.portalId,
      };
    }
    if (method === 'POST' && path === '/oauth/2026-03/token/introspect') {
      const params = formParams(req);
      const value = params.get('token') ?? '';
      const access = this.state.tokens.get(value);
      const refresh = this.state.refreshTokens.get(value);
      const active = access
        ? access.expiresAt === null || access.expiresAt > this.now()
        : !!refresh && !refresh.revoked;
      const portalId = access?.portalId ?? refresh?.portalId;
      return {
        result: {
          status: 200,
          body: active
            ? {
                active: true,
                hub_id: portalId,
                scope: (access?.scopes ?? refresh?.scopes ?? []).join(' '),
                client_id: this.options.clientId,
                token_type: access ? 'access_token' : 'refresh_token',
                exp: access?.expiresAt ? Math.floor(access.expiresAt / 1000) : undefined,
              }
            : { active: false },
        },
        portalId,
      };
    }
    if (method === 'POST' && path === '/oauth/2026-03/token/revoke') {
      const value = formParams(req).get('token') ?? '';
      const refresh = this.state.refreshTokens.get(value);
      if (refresh) refresh.revoked = true;
      this.state.tokens.delete(value);
      return { result: { status: 200, body: {} } };
    }
    return {
      result: { status: 404, body: errorBody('OBJECT_NOT_FOUND', `Unable to route ${method} ${path}`) },
    };
  }

  /** Sandbox consent screen: approves at once and redirects to `redirect_uri?code=…&state=…`. */
  private authorize(req: ParsedRequest): SimResponse {
    const q = req.query;
    if (q.get('client_id') !== this.options.clientId) {
      return { status: 400, body: errorBody('VALIDATION_ERROR', 'Unknown client_id') };
    }
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri) return { status: 400, body: errorBody('VALIDATION_ERROR', 'redirect_uri is required') };
    const portalIdRaw = optNumber(q.get('portal_id') ?? q.get('portalId') ?? undefined);
    if (this.state.portals.size === 0) this.createPortal();
    const scopes = (q.get('scope') ?? '').split(/[\s+]+/).filter(Boolean);
    const code = this.issueAuthorizationCode({
      redirectUri,
      portalId: portalIdRaw,
      scopes: scopes.length > 0 ? scopes : undefined,
    });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    const state = q.get('state');
    if (state !== null) target.searchParams.set('state', state);
    return { status: 302, headers: { Location: target.toString() } };
  }

  private token(params: URLSearchParams): { result: SimResponse; portalId?: number } {
    const grant = params.get('grant_type');
    if (grant !== 'authorization_code' && grant !== 'refresh_token') {
      return {
        result: oauthError(
          'BAD_GRANT_TYPE',
          'unsupported_grant_type',
          `Unsupported grant_type ${grant ?? ''}`,
        ),
      };
    }
    if (params.get('client_id') !== this.options.clientId) {
      return { result: oauthError('BAD_CLIENT_ID', 'invalid_client', 'missing or unknown client id') };
    }
    if (params.get('client_secret') !== this.options.clientSecret) {
      return {
        result: oauthError('BAD_CLIENT_SECRET', 'invalid_client', 'missing or invalid client secret'),
      };
    }
    let portalId: number;
    let scopes: string[];
    let refreshToken: string;
    if (grant === 'authorization_code') {
      const code = this.state.authCodes.get(params.get('code') ?? '');
      if (!code || code.expiresAt <= this.now()) {
        return { result: oauthError('BAD_AUTH_CODE', 'invalid_grant', 'missing or unknown auth code') };
      }
      if (code.redirectUri !== params.get('redirect_uri')) {
        return { result: oauthError('BAD_REDIRECT_URI', 'invalid_grant', 'redirect_uri does not match') };
      }
      this.state.authCodes.delete(code.code);
      portalId = code.portalId;
      scopes = code.scopes;
      refreshToken = `na1-${randomUUID()}`;
      this.state.refreshTokens.set(refreshToken, {
        token: refreshToken,
        portalId,
        scopes,
        clientId: this.options.clientId,
        userId: 1,
        user: 'sandbox-admin@example.com',
        revoked: false,
      });
    } else {
      const record = this.state.refreshTokens.get(params.get('refresh_token') ?? '');
      if (!record || record.revoked) {
        return {
          result: oauthError('BAD_REFRESH_TOKEN', 'invalid_grant', 'missing or unknown refresh token'),
        };
      }
      portalId = record.portalId;
      scopes = record.scopes;
      // HubSpot keeps the refresh token; the response repeats it.
      refreshToken = record.token;
    }
    // HubSpot access tokens are opaque, region-prefixed and long (~300 chars allowed, reference §6).
    const accessToken = `CN${randomBytes(96).toString('base64url')}`;
    this.state.tokens.set(accessToken, {
      token: accessToken,
      kind: 'oauth',
      portalId,
      scopes,
      expiresAt: this.now() + this.options.tokenTtlSeconds * 1000,
      refreshToken,
      clientId: this.options.clientId,
      userId: 1,
      user: 'sandbox-admin@example.com',
    });
    return {
      result: {
        status: 200,
        body: {
          access_token: accessToken,
          refresh_token: refreshToken,
          expires_in: this.options.tokenTtlSeconds,
          token_type: 'bearer',
        },
      },
      portalId,
    };
  }

  // ------------------------------------------------------------------ admin

  private handleAdmin(req: ParsedRequest): SimResponse {
    const { method, path } = req;
    const body = isRecord(req.body) ? req.body : {};
    if (method === 'GET' && path === '/__admin/state') {
      return {
        status: 200,
        body: this.snapshot({
          contacts: req.query.get('contacts') === 'true',
          contactLimit: optNumber(req.query.get('contactLimit') ?? undefined),
        }),
      };
    }
    if (method === 'POST' && path === '/__admin/portal') {
      return {
        status: 201,
        body: this.createPortal({
          portalId: optNumber(body.portalId),
          token: optString(body.token),
          appId: optNumber(body.appId),
          scopes: Array.isArray(body.scopes) ? body.scopes.map((s) => String(s)) : undefined,
        }),
      };
    }
    if (method === 'POST' && path === '/__admin/contacts') {
      return {
        status: 201,
        body: this.seedContacts({
          portalId: optNumber(body.portalId),
          count: optNumber(body.count),
          contacts:
            body.contacts === undefined
              ? undefined
              : (asArray(body.contacts, 'contacts') as Array<Record<string, string>>),
          phonePrefix: optString(body.phonePrefix),
          emailDomain: optString(body.emailDomain),
          whatsapp: body.whatsapp === true,
          mobile: body.mobile === true,
          properties: isRecord(body.properties) ? (body.properties as Record<string, string>) : undefined,
        }),
      };
    }
    if (method === 'POST' && path === '/__admin/contacts/realistic') {
      return {
        status: 201,
        body: this.seedRealisticContacts({
          portalId: optNumber(body.portalId),
          count: optNumber(body.count) ?? 0,
          seed: optNumber(body.seed),
        }),
      };
    }
    const ui = /^\/__admin\/contacts\/([^/]+)\/ui-change$/.exec(path);
    if (method === 'POST' && ui) {
      this.simulateUiChange(
        decodeURIComponent(ui[1]),
        asRecord(body.properties, 'properties') as Record<string, string>,
        optNumber(body.portalId),
      );
      return { status: 204 };
    }
    if (method === 'POST' && path === '/__admin/faults') {
      const kind = optString(body.kind) as FaultKind;
      return {
        status: 201,
        body: this.injectFault({ kind, count: optNumber(body.count), path: optString(body.path) }),
      };
    }
    if (method === 'DELETE' && path === '/__admin/faults') {
      this.clearFaults();
      return { status: 204 };
    }
    if (method === 'POST' && path === '/__admin/latency') {
      this.setLatency(optNumber(body.ms) ?? 0);
      return { status: 200, body: { latencyMs: this.state.latencyMs } };
    }
    if (method === 'POST' && path === '/__admin/clock') {
      this.advanceClock(optNumber(body.advanceMs) ?? 0);
      return { status: 200, body: { clock: new Date(this.now()).toISOString() } };
    }
    if (method === 'POST' && path === '/__admin/oauth/code') {
      const code = this.issueAuthorizationCode({
        redirectUri: optString(body.redirectUri) ?? 'http://localhost/callback',
        portalId: optNumber(body.portalId),
      });
      return { status: 201, body: { code } };
    }
    if (method === 'GET' && path === '/__admin/webhooks/events') {
      return {
        status: 200,
        body: { events: this.takeWebhookEvents(optNumber(req.query.get('portalId') ?? undefined)) },
      };
    }
    if (method === 'POST' && path === '/__admin/reset') {
      this.reset();
      return { status: 204 };
    }
    return { status: 404, body: errorBody('OBJECT_NOT_FOUND', `Unknown admin route ${method} ${path}`) };
  }
}

// -------------------------------------------------------------------- helpers

function emptyCallLog(): CallLog {
  return { total: 0, byStatus: {}, rateLimited: 0, faultsInjected: 0, recent: [] };
}

function prune(window: number[], cutoff: number) {
  let drop = 0;
  while (drop < window.length && window[drop] <= cutoff) drop++;
  if (drop > 0) window.splice(0, drop);
}

function expiredResponse(minutesAgo: number): SimResponse {
  return {
    status: 401,
    body: errorBody(
      'EXPIRED_AUTHENTICATION',
      `The OAuth token used to make this call expired ${minutesAgo} minute(s) ago.`,
    ),
  };
}

/**
 * OAuth errors. v1 answers `{status: "BAD_…", message, correlationId}` (field values unconfirmed); the
 * 2026-03 endpoints add RFC 6749 `error` / `error_description` (reference §6). Both carry both sets.
 */
function oauthError(status: string, error: string, message: string): SimResponse {
  return {
    status: 400,
    body: { status, message, correlationId: correlationId(), error, error_description: message },
  };
}

function formParams(req: ParsedRequest): URLSearchParams {
  if (isRecord(req.body)) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(req.body)) {
      const s = optString(v);
      if (s !== undefined) params.set(k, s);
    }
    return params;
  }
  return new URLSearchParams(req.rawBody);
}

function toError(result: SimResponse): HubSpotHttpError {
  return new HubSpotHttpError(result.status, result.body as Record<string, unknown>, result.headers);
}

function toResponse(err: unknown): SimResponse {
  if (err instanceof HubSpotHttpError) return { status: err.status, body: err.body, headers: err.headers };
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, body: errorBody('INTERNAL_ERROR', `simulator error: ${message}`) };
}

async function parseRequest(req: IncomingMessage): Promise<ParsedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks).toString('utf8');
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const contentType = String(req.headers['content-type'] ?? '');
  let body: unknown;
  if (rawBody.length > 0) {
    if (contentType.includes('application/x-www-form-urlencoded')) {
      body = Object.fromEntries(new URLSearchParams(rawBody).entries());
    } else {
      try {
        body = JSON.parse(rawBody) as unknown;
      } catch (err) {
        const reason = err instanceof Error ? err.message : 'parse error';
        throw validationError(`Invalid input JSON on line 1: ${reason}`);
      }
    }
  }
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    pathWithQuery: url.pathname + url.search,
    query: url.searchParams,
    headers: req.headers,
    rawBody,
    body,
  };
}
