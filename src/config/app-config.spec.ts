import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config';

type Env = Record<string, string | undefined>;

/** A complete, valid environment: every secret given, so nothing is generated. */
function validEnv(overrides: Env = {}): Env {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: 'postgres://gateway@db.internal:5432/consent',
    WHATSAPP_APP_SECRET: 'an-app-secret',
    WHATSAPP_VERIFY_TOKEN: 'a-verify-token',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
    ...overrides,
  };
}

/** The ConfigError loadConfig throws for env (fails the test when it does not throw one). */
function configErrorFor(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe(loadConfig.name, () => {
  it('accepts a complete environment', () => {
    const config = loadConfig(validEnv({ PORT: '8080', LOG_LEVEL: 'debug' }));
    expect(config).toMatchObject({ port: 8080, logLevel: 'debug', production: false });
    expect(config.crypto.encryptionKey).toHaveLength(32);
  });

  it('applies defaults for what is not given', () => {
    expect(loadConfig(validEnv())).toMatchObject({
      port: 3000,
      logLevel: 'info',
      host: '0.0.0.0',
      defaultPhoneRegion: null,
      crmPollIntervalMs: 300_000,
      processorConfirmationMs: 168 * 3_600_000,
    });
  });

  it('reads the processor confirmation period in hours', () => {
    expect(loadConfig(validEnv({ PROCESSOR_CONFIRMATION_HOURS: '24' }))).toMatchObject({
      processorConfirmationMs: 24 * 3_600_000,
    });
  });

  it('reads the phone region in any case and the CRM poll period in seconds', () => {
    expect(
      loadConfig(validEnv({ DEFAULT_PHONE_REGION: 'de', CRM_POLL_INTERVAL_SECONDS: '60' })),
    ).toMatchObject({ defaultPhoneRegion: 'DE', crmPollIntervalMs: 60_000 });
  });

  // Audit chain (issue 10).
  it('reads AUDIT_CHAIN_KEY as 32 bytes, and leaves it unset (derived) when not given', () => {
    const key = randomBytes(32);
    expect(loadConfig(validEnv({ AUDIT_CHAIN_KEY: key.toString('base64') })).auditChainKey).toEqual(key);
    expect(loadConfig(validEnv()).auditChainKey).toBeNull();
  });

  it('reads PREVIOUS_AUDIT_CHAIN_KEYS as a comma-separated list of keys', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const env = validEnv({ PREVIOUS_AUDIT_CHAIN_KEYS: `${a.toString('base64')}, ${b.toString('base64')}` });
    expect(loadConfig(env).previousAuditChainKeys).toEqual([a, b]);
    expect(loadConfig(validEnv()).previousAuditChainKeys).toEqual([]);
  });

  describe('fails fast, naming the variable', () => {
    it.each([
      ['PORT', { PORT: 'abc' }],
      ['PORT', { PORT: '70000' }],
      ['PORT', { PORT: '-1' }],
      ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
      ['DEFAULT_PHONE_REGION', { DEFAULT_PHONE_REGION: 'Germany' }],
      ['CRM_POLL_INTERVAL_SECONDS', { CRM_POLL_INTERVAL_SECONDS: '0' }],
      ['DATABASE_URL', { DATABASE_URL: 'mysql://user@localhost/consent' }],
      ['ENCRYPTION_KEY', { ENCRYPTION_KEY: randomBytes(16).toString('base64') }],
      ['ENCRYPTION_KEY', { ENCRYPTION_KEY: 'not base64 at all!' }],
      ['BLIND_INDEX_KEY', { BLIND_INDEX_KEY: randomBytes(33).toString('base64') }],
      ['PREVIOUS_ENCRYPTION_KEYS', { PREVIOUS_ENCRYPTION_KEYS: 'short' }],
      ['PREVIOUS_BLIND_INDEX_KEYS', { PREVIOUS_BLIND_INDEX_KEYS: 'short' }],
      ['WHATSAPP_APP_SECRET', { WHATSAPP_APP_SECRET: 'short' }],
      ['BOOTSTRAP_API_KEY', { BOOTSTRAP_API_KEY: 'too-short' }],
      ['INBOX_RETENTION_DAYS', { INBOX_RETENTION_DAYS: '0' }],
      ['PROCESSOR_CONFIRMATION_HOURS', { PROCESSOR_CONFIRMATION_HOURS: '0' }],
      ['PROCESSOR_CONFIRMATION_HOURS', { PROCESSOR_CONFIRMATION_HOURS: 'a week' }],
      ['AUDIT_CHAIN_KEY', { AUDIT_CHAIN_KEY: randomBytes(16).toString('base64') }],
      ['AUDIT_CHAIN_KEY', { AUDIT_CHAIN_KEY: 'not base64 at all!' }],
      ['PREVIOUS_AUDIT_CHAIN_KEYS', { PREVIOUS_AUDIT_CHAIN_KEYS: 'short' }],
    ])('on a bad %s (%o)', (variable, overrides) => {
      const error = configErrorFor(validEnv(overrides));
      expect(error.variable).toBe(variable);
      expect(error.message).toContain(variable);
    });
  });

  it('reads the previous blind-index keys, comma-separated, for lookups under keys being retired', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const config = loadConfig(
      validEnv({ PREVIOUS_BLIND_INDEX_KEYS: `${a.toString('base64')}, ${b.toString('base64')}` }),
    );
    expect(config.crypto.previousBlindIndexKeys).toEqual([a, b]);
    expect(loadConfig(validEnv()).crypto.previousBlindIndexKeys).toEqual([]);
  });

  describe('in production', () => {
    const productionEnv = (overrides: Env = {}) => validEnv({ NODE_ENV: 'production', ...overrides });

    it('accepts a complete environment', () => {
      expect(loadConfig(productionEnv()).production).toBe(true);
    });

    it.each(['WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN', 'ENCRYPTION_KEY', 'BLIND_INDEX_KEY'])(
      'refuses to start without %s',
      (variable) => {
        const error = configErrorFor(productionEnv({ [variable]: undefined }));
        expect(error.variable).toBe(variable);
        expect(error.message).toContain(variable);
      },
    );

    it('refuses to start without DATABASE_URL', () => {
      expect(configErrorFor(productionEnv({ DATABASE_URL: undefined })).variable).toBe('DATABASE_URL');
    });

    it('generates no secrets file', () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'cg-config-'));
      try {
        configErrorFor(productionEnv({ DATA_DIR: dataDir, ENCRYPTION_KEY: undefined }));
        expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('in development without secrets', () => {
    let dataDir: string;
    const devEnv = (overrides: Env = {}): Env => ({
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      ...overrides,
    });

    beforeEach(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'cg-config-'));
    });

    afterEach(() => {
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('generates the secrets into DATA_DIR/secrets.json', () => {
      const config = loadConfig(devEnv());
      const file = join(dataDir, 'secrets.json');
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;

      expect(stored.WHATSAPP_APP_SECRET).toBe(config.whatsapp.appSecret);
      expect(stored.WHATSAPP_VERIFY_TOKEN).toBe(config.whatsapp.verifyToken);
      expect(Buffer.from(stored.ENCRYPTION_KEY, 'base64').equals(config.crypto.encryptionKey)).toBe(true);
      expect(Buffer.from(stored.BLIND_INDEX_KEY, 'base64').equals(config.crypto.blindIndexKey)).toBe(true);
    });

    it('makes the secrets file readable by its owner only', () => {
      loadConfig(devEnv());
      expect(statSync(join(dataDir, 'secrets.json')).mode & 0o077).toBe(0);
    });

    it('reuses the generated secrets on the next load', () => {
      const first = loadConfig(devEnv());
      const second = loadConfig(devEnv());

      expect(second.whatsapp).toEqual(first.whatsapp);
      expect(second.crypto.encryptionKey.equals(first.crypto.encryptionKey)).toBe(true);
      expect(second.crypto.blindIndexKey.equals(first.crypto.blindIndexKey)).toBe(true);
    });

    it('lets a secret given in the environment override the generated one', () => {
      loadConfig(devEnv());
      expect(loadConfig(devEnv({ WHATSAPP_APP_SECRET: 'from-the-environment' })).whatsapp.appSecret).toBe(
        'from-the-environment',
      );
    });

    it('starts with an embedded database when DATABASE_URL is not set', () => {
      expect(loadConfig(devEnv()).databaseUrl).toBeNull();
    });
  });
  // ---- OAuth state (issue 10, connections) ----
  describe('the OAuth state key', () => {
    it('is OAUTH_STATE_KEY when given', () => {
      const key = randomBytes(32);
      expect(loadConfig(validEnv({ OAUTH_STATE_KEY: key.toString('base64') })).oauthStateKey).toEqual(key);
    });

    it('is otherwise derived from the encryption key, and differs from both stored keys', () => {
      const env = validEnv();
      const config = loadConfig(env);
      expect(config.oauthStateKey).toHaveLength(32);
      expect(config.oauthStateKey).toEqual(loadConfig(env).oauthStateKey);
      expect(config.oauthStateKey).not.toEqual(config.crypto.encryptionKey);
      expect(config.oauthStateKey).not.toEqual(config.crypto.blindIndexKey);
    });

    it('changes when the encryption key is rotated', () => {
      const before = loadConfig(validEnv()).oauthStateKey;
      expect(loadConfig(validEnv()).oauthStateKey).not.toEqual(before);
    });

    it('refuses an OAUTH_STATE_KEY that is not 32 bytes of base64, naming it', () => {
      expect(configErrorFor(validEnv({ OAUTH_STATE_KEY: 'short' })).variable).toBe('OAUTH_STATE_KEY');
    });
  });

  // ---- SSRF guard (issue 10): OUTBOUND_ALLOWLIST entries name a host and its port.
  describe('OUTBOUND_ALLOWLIST', () => {
    it('reads host, host:port and host:* entries, trimmed and in lower case', () => {
      expect(
        loadConfig(validEnv({ OUTBOUND_ALLOWLIST: ' Sandbox.Example , 127.0.0.1:4010,[::1]:*,' }))
          .outboundAllowlist,
      ).toEqual(['sandbox.example', '127.0.0.1:4010', '[::1]:*']);
    });

    it('is empty when unset', () => {
      expect(loadConfig(validEnv()).outboundAllowlist).toEqual([]);
    });

    it.each(['127.0.0.1:0', '127.0.0.1:99999', 'http://127.0.0.1', '::1', 'host/path'])(
      'stops the start on the malformed entry %s, naming the variable',
      (entry) => {
        const error = configErrorFor(validEnv({ OUTBOUND_ALLOWLIST: `sandbox.example,${entry}` }));
        expect(error.variable).toBe('OUTBOUND_ALLOWLIST');
        expect(error.message).toContain(entry);
      },
    );
  });

  // --- HTTP edge hardening (issue 10) ---
  describe('the HTTP edge', () => {
    it('trusts no proxy, serves /docs outside production and limits by default', () => {
      expect(loadConfig(validEnv())).toMatchObject({
        trustedProxies: [],
        docsEnabled: true,
        http: { requestTimeoutMs: 60_000, headersTimeoutMs: 10_000, jsonBodyLimit: 128 * 1024 },
        rateLimits: {
          enabled: true,
          windowMs: 60_000,
          signinPerIp: 20,
          perApiKey: 60_000,
          authFailuresPerIp: 300,
        },
      });
    });

    it('turns /docs off in production unless DOCS_ENABLED says otherwise', () => {
      const production = { NODE_ENV: 'production' };
      expect(loadConfig(validEnv(production)).docsEnabled).toBe(false);
      expect(loadConfig(validEnv({ ...production, DOCS_ENABLED: 'true' })).docsEnabled).toBe(true);
      expect(configErrorFor(validEnv({ DOCS_ENABLED: 'yes please' })).variable).toBe('DOCS_ENABLED');
    });

    it('reads TRUSTED_PROXIES as addresses, CIDRs and the loopback keyword', () => {
      expect(
        loadConfig(validEnv({ TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7 ,fd00::/8,loopback' }))
          .trustedProxies,
      ).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'loopback']);
    });

    it.each(['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/8', '::1/129', '*'])(
      'refuses the TRUSTED_PROXIES entry %s',
      (entry) => {
        const error = configErrorFor(validEnv({ TRUSTED_PROXIES: entry }));
        expect(error.variable).toBe('TRUSTED_PROXIES');
        expect(error.message).toContain(entry);
      },
    );

    it('reads the rate limits, 0 turning one off', () => {
      expect(
        loadConfig(
          validEnv({
            RATE_LIMIT_ENABLED: 'false',
            RATE_LIMIT_WINDOW_SECONDS: '10',
            RATE_LIMIT_SIGNIN_PER_IP: '0',
            RATE_LIMIT_PER_API_KEY: '5',
          }),
        ).rateLimits,
      ).toMatchObject({ enabled: false, windowMs: 10_000, signinPerIp: 0, perApiKey: 5 });
      expect(configErrorFor(validEnv({ RATE_LIMIT_PER_API_KEY: '-1' })).variable).toBe(
        'RATE_LIMIT_PER_API_KEY',
      );
    });
  });
});
