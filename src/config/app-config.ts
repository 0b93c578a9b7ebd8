import { hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parseAllowlistEntry } from '../platform/http/outbound-allowlist';
import { parseForwardUrls } from './forward-urls';

/** Raised at boot when the environment is unusable; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export type LogFormat = 'json' | 'pretty';

/**
 * Typed configuration, validated once at boot. This module is the only reader of process.env.
 * Fields flagged secret are never logged (see `describe()`).
 */
export interface AppConfig {
  nodeEnv: string;
  production: boolean;
  port: number;
  host: string;
  /** null means: start an embedded PostgreSQL under dataDir. */
  databaseUrl: string | null;
  dataDir: string;
  embeddedPostgresPort: number;
  logLevel: LogLevel;
  /** json in production; pretty (one human-readable line an event) elsewhere. LOG_FORMAT overrides. */
  logFormat: LogFormat;
  /** The generated development secrets in use (<dataDir>/secrets.json), or null when all came from the environment. */
  devSecretsFile: string | null;
  whatsapp: { appSecret: string; verifyToken: string };
  crypto: {
    /** base64, 32 bytes; the current key encrypts, every key listed decrypts. */
    encryptionKey: Buffer;
    previousEncryptionKeys: Buffer[];
    blindIndexKey: Buffer;
    // Blind-index key rotation (issue 10, crypto): previous keys still answer suppression lookups (no plaintext
    // there to re-index) and let keys:rotate --blind-index find what it re-indexes.
    previousBlindIndexKeys: Buffer[];
  };
  bootstrapApiKey: string | null;
  /** The first console admin, created at start when there is no user yet. */
  bootstrapAdmin: { email: string; password: string } | null;
  inboxRetentionDays: number;
  consentConfigPath: string;
  /** config/requests.json: request keywords, retention, due-soon and reminder days (REQUESTS_CONFIG_PATH). */
  requestsConfigPath: string;
  /** Intake request body limit in bytes (Meta sends up to 3 MB). */
  webhookBodyLimit: number;
  apiBodyLimit: number;
  /** The business running the gateway, as named in consent receipts (Kantara piiControllers). */
  controller: { name: string; contact: string; email: string; address: string; url: string | null };
  policyUrl: string | null;
  jurisdiction: string;
  /** Public URL of this gateway (OAuth redirect URIs, HubSpot webhook signature URIs). */
  publicBaseUrl: string;
  /**
   * Hosts outbound calls may reach even when private, and sandbox base_urls: `host` (its scheme's default
   * port only), `host:port` or `host:*` (outbound-allowlist.ts).
   */
  outboundAllowlist: string[];
  hubspot: { clientId: string | null; clientSecret: string | null; appId: string | null };
  /** A vendor call that has not answered after this long is abandoned and retried (transient). */
  connectorTimeoutMs: number;
  /** The first backoff after a transient vendor failure; each further one doubles (with jitter), up to an hour. */
  retryBaseDelayMs: number;
  /** Roles `npm start` runs: the HTTP API, the worker, or both (default). */
  roles: { api: boolean; worker: boolean };
  salesforce: { clientId: string | null; clientSecret: string | null };
  /** Region (ISO 3166 alpha-2) of numbers typed in national form when neither record nor connection says. */
  defaultPhoneRegion: string | null;
  /** How often CRMs are asked for records created or changed since the last poll (CRM_POLL_INTERVAL_SECONDS). */
  crmPollIntervalMs: number;
  /**
   * How long a processor that acknowledged an erasure (a webhook processor) has to confirm it with its signed
   * callback before the delivery is settled as "acknowledged, not confirmed" (PROCESSOR_CONFIRMATION_HOURS).
   */
  processorConfirmationMs: number;
  // ---- OAuth state (issue 10, connections) ----
  /**
   * HMAC key of the OAuth `state` parameter: OAUTH_STATE_KEY when set, else derived by HKDF from
   * ENCRYPTION_KEY under a label of its own, so it rotates with the encryption key and is no other key's twin.
   */
  oauthStateKey: Buffer;
  // Audit chain (issue 10): the key of the keyed hash chain, kept outside the database.
  /** AUDIT_CHAIN_KEY (base64, 32 bytes); null: derived from ENCRYPTION_KEY by HKDF (see modules/audit). */
  auditChainKey: Buffer | null;
  /** PREVIOUS_AUDIT_CHAIN_KEYS: older chain keys, trusted to verify the entries chained under them. */
  previousAuditChainKeys: Buffer[];
  // --- HTTP edge hardening (issue 10): proxies, docs, timeouts, limits, rate limits ---
  /** Peers whose X-Forwarded-* headers are believed (IPs, CIDRs, or loopback/linklocal/uniquelocal); none by default. */
  trustedProxies: string[];
  /** Serve Swagger UI and the OpenAPI document at /docs (DOCS_ENABLED; off by default in production). */
  docsEnabled: boolean;
  http: {
    /**
     * Time a client has to send a whole request, headers and body (slow-client protection). 60 s lets a
     * 10 MB DPA document through a 1.5 Mbit/s uplink; slow headers are cut sooner (headersTimeoutMs).
     */
    requestTimeoutMs: number;
    /** Time a client has to send its headers. */
    headersTimeoutMs: number;
    /** A socket with no activity for this long is closed. */
    connectionTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxHeaderBytes: number;
    /** Body limit of every JSON route but the batch API and the webhooks (bytes). */
    jsonBodyLimit: number;
  };
  rateLimits: RateLimitConfig;
  // ---- Relay (issue 12): every WhatsApp delivery forwarded to the business's own integration ----
  /** WHATSAPP_FORWARD_URLS: https (or allow-listed http) URLs, normalised; empty: no relay. */
  whatsappForwardUrls: string[];
  relay: {
    /** RELAY_CONCURRENCY: requests in flight per destination (different senders only). */
    concurrency: number;
    /** RELAY_TIMEOUT_MS: an attempt not answered by then is a failure, retried. */
    timeoutMs: number;
    /** RELAY_BASE_DELAY_MS / RELAY_MAX_DELAY_SECONDS: the first backoff, and the cap of every backoff. */
    baseDelayMs: number;
    maxDelayMs: number;
    /** RELAY_HORIZON_HOURS: how long after Meta's delivery the relay keeps trying (Meta's own: 7 days). */
    horizonMs: number;
  };
  /**
   * Consent checks while the database is away (CHECK_WHEN_DATABASE_DOWN): serve_stale (default) answers from
   * the in-memory projection as it was when notifications stopped, marked `stale: true`; refuse answers 503.
   */
  checkWhenDatabaseDown: 'serve_stale' | 'refuse';
}

/** Per-process fixed-window rate limits; every count is per window, 0 turns one off. */
export interface RateLimitConfig {
  enabled: boolean;
  windowMs: number;
  /** Sign-in attempts (POST /console/api/session) per client IP. */
  signinPerIp: number;
  /** Requests per API key (Bearer token) on /v1. */
  perApiKey: number;
  /** Answers 401 (wrong key, session, signature or password) per client IP before its requests are refused. */
  authFailuresPerIp: number;
}

type Env = Record<string, string | undefined>;

interface DevSecrets {
  BOOTSTRAP_API_KEY?: string;
  BOOTSTRAP_ADMIN_EMAIL?: string;
  BOOTSTRAP_ADMIN_PASSWORD?: string;
  WHATSAPP_APP_SECRET: string;
  WHATSAPP_VERIFY_TOKEN: string;
  ENCRYPTION_KEY: string;
  BLIND_INDEX_KEY: string;
}

const SECRET_NAMES = [
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
  'ENCRYPTION_KEY',
  'BLIND_INDEX_KEY',
] as const;

function parseKey(name: string, value: string): Buffer {
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== value.trim().replace(/=+$/, '')) {
    throw new ConfigError(
      name,
      'must be 32 bytes encoded as base64 (generate one with: openssl rand -base64 32)',
    );
  }
  return key;
}

/** HKDF label of the OAuth state key: a key derived for this one purpose, never reused elsewhere. */
const OAUTH_STATE_KEY_LABEL = 'consent-gateway/oauth-state/v1';

/** OAUTH_STATE_KEY, or the encryption key's HKDF derivation for OAuth states. */
function oauthStateKey(env: Env, encryptionKey: Buffer): Buffer {
  if (env.OAUTH_STATE_KEY) return parseKey('OAUTH_STATE_KEY', env.OAUTH_STATE_KEY);
  return Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), OAUTH_STATE_KEY_LABEL, 32));
}

/** A comma-separated list of keys (each as parseKey wants it); empty when unset. */
function parseKeyList(env: Env, name: string): Buffer[] {
  return (env[name] ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((k) => parseKey(name, k));
}

function parseInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/**
 * Development secrets are generated on first start into <dataDir>/secrets.json and reused, so a fresh
 * checkout runs with no configuration. In production every secret must come from the environment.
 */
function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  const secrets: DevSecrets = {
    BOOTSTRAP_API_KEY: `cgk_dev_${randomBytes(24).toString('base64url')}`,
    BOOTSTRAP_ADMIN_EMAIL: 'admin@localhost',
    BOOTSTRAP_ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
    WHATSAPP_APP_SECRET: randomBytes(24).toString('hex'),
    WHATSAPP_VERIFY_TOKEN: randomBytes(16).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = env.NODE_ENV ?? 'development';
  const production = nodeEnv === 'production';
  const dataDir = resolve(env.DATA_DIR ?? '.data');

  const needsDevSecrets = SECRET_NAMES.some((name) => !env[name]);
  let secrets: Env = env;
  if (needsDevSecrets) {
    if (production) {
      const missing = SECRET_NAMES.find((name) => !env[name]) as string;
      throw new ConfigError(missing, 'is required when NODE_ENV=production');
    }
    secrets = {
      ...loadOrCreateDevSecrets(dataDir),
      ...Object.fromEntries(Object.entries(env).filter(([, v]) => v)),
    };
  }

  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const logFormat = (env.LOG_FORMAT || (production ? 'json' : 'pretty')) as LogFormat;
  if (logFormat !== 'json' && logFormat !== 'pretty')
    throw new ConfigError('LOG_FORMAT', 'must be json or pretty');

  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  if (production && !databaseUrl)
    throw new ConfigError('DATABASE_URL', 'is required when NODE_ENV=production');

  const bootstrapApiKey = secrets.BOOTSTRAP_API_KEY || null;
  if (bootstrapApiKey !== null && bootstrapApiKey.length < 16) {
    throw new ConfigError('BOOTSTRAP_API_KEY', 'must be at least 16 characters');
  }

  const encryptionKey = parseKey('ENCRYPTION_KEY', secrets.ENCRYPTION_KEY as string);
  const appSecret = secrets.WHATSAPP_APP_SECRET as string;
  const verifyToken = secrets.WHATSAPP_VERIFY_TOKEN as string;
  if (appSecret.length < 8) throw new ConfigError('WHATSAPP_APP_SECRET', 'must be at least 8 characters');

  return {
    nodeEnv,
    production,
    port: parseInteger(env, 'PORT', 3000, 0, 65535),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl,
    dataDir,
    embeddedPostgresPort: parseInteger(env, 'EMBEDDED_POSTGRES_PORT', 54329, 1, 65535),
    logLevel,
    logFormat,
    devSecretsFile: needsDevSecrets ? join(dataDir, 'secrets.json') : null,
    whatsapp: { appSecret, verifyToken },
    crypto: {
      encryptionKey,
      previousEncryptionKeys: (env.PREVIOUS_ENCRYPTION_KEYS ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean)
        .map((k) => parseKey('PREVIOUS_ENCRYPTION_KEYS', k)),
      blindIndexKey: parseKey('BLIND_INDEX_KEY', secrets.BLIND_INDEX_KEY as string),
      // Blind-index key rotation (issue 10, crypto).
      previousBlindIndexKeys: parseKeyList(env, 'PREVIOUS_BLIND_INDEX_KEYS'),
    },
    bootstrapApiKey,
    bootstrapAdmin:
      secrets.BOOTSTRAP_ADMIN_EMAIL && secrets.BOOTSTRAP_ADMIN_PASSWORD
        ? { email: secrets.BOOTSTRAP_ADMIN_EMAIL, password: secrets.BOOTSTRAP_ADMIN_PASSWORD }
        : null,
    inboxRetentionDays: parseInteger(env, 'INBOX_RETENTION_DAYS', 30, 1, 3650),
    consentConfigPath: resolve(
      env.CONSENT_CONFIG_PATH ?? join(__dirname, '..', '..', 'config', 'consent.json'),
    ),
    requestsConfigPath: resolve(
      env.REQUESTS_CONFIG_PATH ?? join(__dirname, '..', '..', 'config', 'requests.json'),
    ),
    webhookBodyLimit: parseInteger(env, 'WEBHOOK_BODY_LIMIT', 3 * 1024 * 1024, 1024, 50 * 1024 * 1024),
    apiBodyLimit: parseInteger(env, 'API_BODY_LIMIT', 2 * 1024 * 1024, 1024, 50 * 1024 * 1024),
    controller: {
      name: env.CONTROLLER_NAME ?? 'Consent Gateway operator',
      contact: env.CONTROLLER_CONTACT ?? 'Data Protection Officer',
      email: env.CONTROLLER_EMAIL ?? 'privacy@example.invalid',
      address: env.CONTROLLER_ADDRESS ?? 'not configured',
      url: env.CONTROLLER_URL ?? null,
    },
    policyUrl: env.PRIVACY_POLICY_URL ?? null,
    jurisdiction: env.JURISDICTION ?? 'EU',
    publicBaseUrl: parsePublicBaseUrl(env),
    outboundAllowlist: parseOutboundAllowlist(env.OUTBOUND_ALLOWLIST),
    hubspot: {
      clientId: env.HUBSPOT_CLIENT_ID || null,
      clientSecret: env.HUBSPOT_CLIENT_SECRET || null,
      appId: env.HUBSPOT_APP_ID || null,
    },
    connectorTimeoutMs: parseInteger(env, 'CONNECTOR_TIMEOUT_MS', 20_000, 100, 600_000),
    retryBaseDelayMs: parseInteger(env, 'RETRY_BASE_DELAY_MS', 2_000, 10, 600_000),
    roles: parseRoles(env.GATEWAY_ROLES),
    salesforce: {
      clientId: env.SALESFORCE_CLIENT_ID || null,
      clientSecret: env.SALESFORCE_CLIENT_SECRET || null,
    },
    defaultPhoneRegion: parseRegion(env.DEFAULT_PHONE_REGION),
    crmPollIntervalMs: parseInteger(env, 'CRM_POLL_INTERVAL_SECONDS', 300, 1, 86_400) * 1000,
    // A week by default; at most about a month, the request's own deadline (Art. 12(3)).
    processorConfirmationMs: parseInteger(env, 'PROCESSOR_CONFIRMATION_HOURS', 168, 1, 744) * 3_600_000,
    checkWhenDatabaseDown: parseCheckWhenDatabaseDown(env.CHECK_WHEN_DATABASE_DOWN),
    // ---- OAuth state (issue 10, connections) ----
    oauthStateKey: oauthStateKey(env, encryptionKey),
    // Audit chain (issue 10).
    auditChainKey: env.AUDIT_CHAIN_KEY ? parseKey('AUDIT_CHAIN_KEY', env.AUDIT_CHAIN_KEY) : null,
    previousAuditChainKeys: (env.PREVIOUS_AUDIT_CHAIN_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean)
      .map((k) => parseKey('PREVIOUS_AUDIT_CHAIN_KEYS', k)),
    // --- HTTP edge hardening (issue 10) ---
    trustedProxies: parseTrustedProxies(env.TRUSTED_PROXIES),
    docsEnabled: parseBoolean(env, 'DOCS_ENABLED', !production),
    http: {
      requestTimeoutMs: parseInteger(env, 'HTTP_REQUEST_TIMEOUT_SECONDS', 60, 1, 3600) * 1000,
      headersTimeoutMs: parseInteger(env, 'HTTP_HEADERS_TIMEOUT_SECONDS', 10, 1, 3600) * 1000,
      connectionTimeoutMs: parseInteger(env, 'HTTP_IDLE_TIMEOUT_SECONDS', 120, 1, 3600) * 1000,
      keepAliveTimeoutMs: parseInteger(env, 'HTTP_KEEP_ALIVE_TIMEOUT_SECONDS', 72, 1, 3600) * 1000,
      maxHeaderBytes: parseInteger(env, 'HTTP_MAX_HEADER_BYTES', 16 * 1024, 1024, 1024 * 1024),
      jsonBodyLimit: parseInteger(env, 'JSON_BODY_LIMIT', 128 * 1024, 1024, 50 * 1024 * 1024),
    },
    whatsappForwardUrls: forwardUrls(env),
    relay: {
      concurrency: parseInteger(env, 'RELAY_CONCURRENCY', 4, 1, 64),
      timeoutMs: parseInteger(env, 'RELAY_TIMEOUT_MS', 10_000, 100, 600_000),
      baseDelayMs: parseInteger(env, 'RELAY_BASE_DELAY_MS', 1_000, 10, 600_000),
      maxDelayMs: parseInteger(env, 'RELAY_MAX_DELAY_SECONDS', 3_600, 1, 86_400) * 1000,
      horizonMs: parseInteger(env, 'RELAY_HORIZON_HOURS', 168, 1, 720) * 3_600_000,
    },
    rateLimits: {
      enabled: parseBoolean(env, 'RATE_LIMIT_ENABLED', true),
      windowMs: parseInteger(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 3600) * 1000,
      signinPerIp: parseInteger(env, 'RATE_LIMIT_SIGNIN_PER_IP', 20, 0, 1_000_000_000),
      perApiKey: parseInteger(env, 'RATE_LIMIT_PER_API_KEY', 60_000, 0, 1_000_000_000),
      authFailuresPerIp: parseInteger(env, 'RATE_LIMIT_AUTH_FAILURES_PER_IP', 300, 0, 1_000_000_000),
    },
  };
}

// ---- SSRF guard (issue 10): OUTBOUND_ALLOWLIST entries name a host and its port.

/** OUTBOUND_ALLOWLIST, comma-separated; a malformed entry stops the start with a line naming it. */
function parseOutboundAllowlist(raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  for (const entry of entries) {
    try {
      parseAllowlistEntry(entry);
    } catch (error) {
      throw new ConfigError('OUTBOUND_ALLOWLIST', (error as Error).message);
    }
  }
  return entries;
}

/** WHATSAPP_FORWARD_URLS, checked against OUTBOUND_ALLOWLIST (forward-urls.ts); a bad entry stops the start. */
function forwardUrls(env: Env): string[] {
  try {
    return parseForwardUrls(env.WHATSAPP_FORWARD_URLS, parseOutboundAllowlist(env.OUTBOUND_ALLOWLIST));
  } catch (error) {
    throw new ConfigError('WHATSAPP_FORWARD_URLS', (error as Error).message);
  }
}

function parseBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUSTED_PROXIES: comma-separated IPs and CIDRs (or proxy-addr's keywords); each is checked here, at boot. */
function parseTrustedProxies(raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (PROXY_KEYWORDS.has(entry)) continue;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (!family || !prefixOk || extra !== undefined) {
      throw new ConfigError(
        'TRUSTED_PROXIES',
        `must list IP addresses or CIDRs (such as 10.0.0.0/8, ::1) or loopback, linklocal, uniquelocal; got "${entry}"`,
      );
    }
  }
  return entries;
}

/** An ISO 3166 alpha-2 code, upper case; unset is null, anything else stops the start with a clear line. */
function parseRegion(raw: string | undefined): string | null {
  const value = raw?.trim().toUpperCase();
  if (!value) return null;
  if (!/^[A-Z]{2}$/.test(value))
    throw new ConfigError(
      'DEFAULT_PHONE_REGION',
      `must be an ISO 3166 alpha-2 code such as DE or US, got "${raw}"`,
    );
  return value;
}

function parseRoles(raw: string | undefined): { api: boolean; worker: boolean } {
  const roles = (raw ?? 'api,worker')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = roles.filter((r) => r !== 'api' && r !== 'worker');
  if (unknown.length || roles.length === 0) {
    throw new ConfigError('GATEWAY_ROLES', `must list api and/or worker, got "${raw}"`);
  }
  return { api: roles.includes('api'), worker: roles.includes('worker') };
}

function parsePublicBaseUrl(env: Env): string {
  const port = env.PORT || '3000';
  const raw = env.PUBLIC_BASE_URL || `http://127.0.0.1:${port}`;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    return url.toString().replace(/\/$/, '');
  } catch {
    throw new ConfigError('PUBLIC_BASE_URL', `must be an http(s) URL, got "${raw}"`);
  }
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');

function parseCheckWhenDatabaseDown(raw: string | undefined): 'serve_stale' | 'refuse' {
  const value = raw || 'serve_stale';
  if (value !== 'serve_stale' && value !== 'refuse') {
    throw new ConfigError('CHECK_WHEN_DATABASE_DOWN', 'must be serve_stale or refuse');
  }
  return value;
}
