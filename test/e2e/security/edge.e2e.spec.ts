import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { json, startTestApp, TEST_API_KEY, testConfig, type TestApp } from '../../support/app';

/**
 * The HTTP edge under attack: forged client addresses, bursts, framing and sniffing, hostile input that
 * used to end in a 500, oversized and slow requests. Each test performs the attack against the running
 * gateway and shows it no longer gets through.
 */
describe('the HTTP edge', () => {
  let db: TestDatabase;
  /** Rate limits off (as every other e2e test runs), docs on: the default of a non-production start. */
  let gw: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url, roles: { api: true, worker: false } });
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const start = (env: Record<string, string>) =>
    startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, env),
      roles: { api: true, worker: false },
    });

  const count = async (table: string) =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0].n);

  /** The address the audit log recorded for the vendor created under this name. */
  const auditedIp = async (app: TestApp, headers: Record<string, string>) => {
    const name = `Vendor ${randomUUID()}`;
    const res = await app.api('/v1/vendors', { method: 'POST', json: { name }, headers });
    expect(res.status).toBe(201);
    const { id } = (await json(res)) as { id: string };
    const rows = await db.query<{ ip: string }>(`SELECT ip FROM audit_event WHERE target_id = $1`, [id]);
    expect(rows).toHaveLength(1);
    return rows[0].ip;
  };

  describe('client addresses (TRUSTED_PROXIES)', () => {
    it('ignores X-Forwarded-For from a peer that is not a trusted proxy: the audit records the peer', async () => {
      expect(await auditedIp(gw, { 'x-forwarded-for': '203.0.113.9' })).toBe('127.0.0.1');
    });

    it('believes X-Forwarded-For from a trusted proxy, but only as far as the first untrusted hop', async () => {
      const proxied = await start({ TRUSTED_PROXIES: '127.0.0.1/32' });
      try {
        expect(await auditedIp(proxied, { 'x-forwarded-for': '203.0.113.9' })).toBe('203.0.113.9');
        // The client prepends a forged address; the proxy appends the one it saw. The forged one is ignored.
        expect(await auditedIp(proxied, { 'x-forwarded-for': '198.51.100.66, 203.0.113.9' })).toBe(
          '203.0.113.9',
        );
      } finally {
        await proxied.close();
      }
    });
  });

  describe('rate limits', () => {
    let limited: TestApp;

    beforeAll(async () => {
      limited = await start({
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_SIGNIN_PER_IP: '3',
        RATE_LIMIT_PER_API_KEY: '1000000',
        RATE_LIMIT_AUTH_FAILURES_PER_IP: '1000000',
      });
    });

    afterAll(() => limited?.close());

    const signIn = (app: TestApp, headers: Record<string, string> = {}) =>
      app.api('/console/api/session', {
        key: null,
        method: 'POST',
        json: { email: 'nobody@example.com', password: 'guess' },
        headers,
      });

    it('answers a sign-in burst from one address with 429, Retry-After and RateLimit headers', async () => {
      for (let i = 0; i < 3; i++) {
        const res = await signIn(limited);
        expect(res.status).toBe(401);
        expect(res.headers.get('ratelimit-remaining')).toBe(String(2 - i));
      }
      const refused = await signIn(limited);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect((await json(refused)).code).toBe('rate_limited');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers.get('ratelimit-limit')).toBe('3');
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      // A forged X-Forwarded-For does not make the same client a new one.
      expect((await signIn(limited, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(429);
    });

    it('limits each API key on its own', async () => {
      const app = await start({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_PER_API_KEY: '2' });
      try {
        const other = await app.api('/v1/api-keys', {
          method: 'POST',
          json: { name: 'other', scopes: ['registry:read'] },
        });
        expect(other.status).toBe(201);
        // Far from the limit, nothing is announced: the headers would ride on every consent check.
        expect(other.headers.get('ratelimit-remaining')).toBeNull();
        const last = await app.api('/v1/vendors');
        expect(last.status).toBe(200);
        // Close to the limit the key is told how much is left.
        expect(last.headers.get('ratelimit-remaining')).toBe('0');
        const refused = await app.api('/v1/vendors');
        expect(refused.status).toBe(429);
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        const { key } = (await json(other)) as { key: string };
        expect((await app.api('/v1/vendors', { key })).status).toBe(200);
      } finally {
        await app.close();
      }
    });

    it('refuses an address that keeps failing authentication, but never counts a signed webhook', async () => {
      const app = await start({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_AUTH_FAILURES_PER_IP: '3' });
      try {
        // Meta's bursts: correctly signed deliveries are not counted, however many arrive.
        for (let i = 0; i < 10; i++) {
          const delivery = JSON.stringify({ object: 'whatsapp_business_account', entry: [], n: i });
          expect((await app.postWebhook(delivery)).status).toBe(200);
        }
        for (let i = 0; i < 3; i++) {
          expect((await app.api('/v1/vendors', { key: `cgk_guess_${i}` })).status).toBe(401);
        }
        expect((await app.postWebhook('{"forged":true}', { signature: 'sha256=00' })).status).toBe(429);
        const refused = await app.api('/v1/vendors', { key: TEST_API_KEY });
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
        // Routes that authenticate nobody are not affected.
        expect((await app.api('/health', { key: null })).status).toBeLessThan(400);
      } finally {
        await app.close();
      }
    });
  });

  describe('security headers', () => {
    const expectHardened = (res: Response) => {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    };

    it.each([
      ['an API answer', '/v1/vendors', TEST_API_KEY],
      ['a refusal', '/v1/vendors', null],
      ['the health check', '/health', null],
      ['a route that does not exist', `/v1/${randomUUID()}`, TEST_API_KEY],
      ['the console session', '/console/api/session', null],
    ])('are on %s, which is never stored by a cache', async (_what, path, key) => {
      const res = await gw.api(path, { key });
      expectHardened(res);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('cache-control')).toContain('no-store');
    });

    it('give /docs a policy that lets Swagger UI run its own files and nothing else', async () => {
      const res = await gw.api('/docs', { key: null });
      expect(res.status).toBe(200);
      expectHardened(res);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      expect(csp).toContain("connect-src 'self'");
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      // Every script the page loads is a file on this origin.
      const html = await res.text();
      expect(html).not.toMatch(/<script>(?!\s*<\/script>)/);
      for (const [, src] of html.matchAll(/<script src=["']([^"']+)["']/g)) {
        expect(src).toMatch(/^\.?\/?(docs\/)?[\w.-]+\.js$/);
      }
    });

    it('turn off /docs with DOCS_ENABLED=false', async () => {
      const app = await start({ DOCS_ENABLED: 'false' });
      try {
        expect((await app.api('/docs', { key: null })).status).toBe(404);
        expect((await app.api('/docs/openapi.json', { key: null })).status).toBe(404);
      } finally {
        await app.close();
      }
    });
  });

  describe('hostile input', () => {
    const fieldsOf = async (res: Response) =>
      ((await json(res)) as { errors: { field: string }[] }).errors.map((e) => e.field);

    it('refuses a NUL character in a sign-in email with 400 naming the field, before any lookup', async () => {
      const res = await gw.api('/console/api/session', {
        key: null,
        method: 'POST',
        json: { email: 'admin\u0000@example.com', password: 'x' },
      });
      expect(res.status).toBe(400);
      expect(await fieldsOf(res)).toEqual(['email']);
    });

    it('refuses a NUL character in a vendor name or a query, and stores nothing', async () => {
      const before = await count('vendor');
      const res = await gw.api('/v1/vendors', { method: 'POST', json: { name: 'Acme\u0000' } });
      expect(res.status).toBe(400);
      expect(await fieldsOf(res)).toEqual(['name']);
      const query = await gw.api('/v1/vendors?q=a%00b');
      expect(query.status).toBe(400);
      expect(await fieldsOf(query)).toEqual(['q']);
      expect(await count('vendor')).toBe(before);
    });

    it('refuses evidence nested 3,000 levels deep with 400 naming where, and stores nothing', async () => {
      const before = await count('consent_event');
      const deep = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
      const body = `{"events":[{"event_id":"evt-deep","phone":"+4915123456789","purpose":"marketing","channel":"whatsapp","status":"granted","captured_at":"2026-01-01T10:00:00Z","evidence":${deep}}]}`;
      const res = await gw.api('/v1/consent-events', {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      const [field] = await fieldsOf(res);
      expect(field).toMatch(/^events\.0\.evidence(\.a)+$/);
      expect(await count('consent_event')).toBe(before);
    });

    it('still acknowledges a signed webhook whatever its text holds: refusing it would make Meta retry for days', async () => {
      const delivery = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'x',
            changes: [{ field: 'messages', value: { messages: [{ text: { body: 'STOP\u0000' } }] } }],
          },
        ],
      });
      expect((await gw.postWebhook(delivery)).status).toBe(200);
    });

    it('refuses a DPA signed on a day that does not exist (2026-02-30) with 400, and stores nothing', async () => {
      const vendor = await json(
        await gw.api('/v1/vendors', { method: 'POST', json: { name: 'DPA vendor' } }),
      );
      const before = await count('dpa');
      const res = await gw.api(`/v1/vendors/${vendor.id}/dpas`, {
        method: 'POST',
        json: { status: 'signed', signed_at: '2026-02-30' },
      });
      expect(res.status).toBe(400);
      expect(await fieldsOf(res)).toEqual(['signed_at']);
      expect(await count('dpa')).toBe(before);
    });
  });

  describe('sizes and slow clients', () => {
    it('refuses a sign-in body of more than a few kilobytes with 413, before reading a password', async () => {
      const res = await gw.api('/console/api/session', {
        key: null,
        method: 'POST',
        json: { email: 'a@example.com', password: 'x'.repeat(20_000) },
      });
      expect(res.status).toBe(413);
      expect((await json(res)).code).toBe('body_too_large');
    });

    it('refuses a megabyte on a small JSON route, unauthenticated, with 413', async () => {
      const res = await gw.api('/v1/vendors', {
        key: null,
        method: 'POST',
        json: { name: 'x'.repeat(1024 * 1024) },
      });
      expect(res.status).toBe(413);
    });

    it('still takes large bodies where they belong: a 300 KB batch and a 1 MB signed webhook', async () => {
      const events = Array.from({ length: 300 }, (_, i) => ({
        event_id: `evt-size-${i}`,
        phone: `+4915123${String(i).padStart(6, '0')}`,
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        captured_at: '2026-01-01T10:00:00Z',
        evidence: { note: 'x'.repeat(800) },
      }));
      const batch = await gw.api('/v1/consent-events', { method: 'POST', json: { events } });
      expect(batch.status).toBe(200);
      const delivery = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [],
        pad: 'x'.repeat(1024 * 1024),
      });
      expect((await gw.postWebhook(delivery)).status).toBe(200);
    });

    it('refuses headers larger than the limit with 431', async () => {
      const res = await fetch(`${gw.baseUrl}/health`, { headers: { 'x-padding': 'x'.repeat(20_000) } });
      expect(res.status).toBe(431);
    });

    it('disconnects a client that sends its headers too slowly (slowloris) with 408', async () => {
      const app = await start({ HTTP_HEADERS_TIMEOUT_SECONDS: '1' });
      try {
        const { port } = new URL(app.baseUrl);
        const socket = connect(Number(port), '127.0.0.1');
        let answer = '';
        socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
        // Half a request line, then nothing more.
        socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
        await new Promise((resolve) => socket.on('close', resolve));
        expect(answer).toMatch(/^HTTP\/1\.1 408/);
      } finally {
        await app.close();
      }
    });

    it('gives clients a bounded time to send a request and closes idle connections', () => {
      const server = gw.app.getHttpServer();
      expect(server.requestTimeout).toBe(60_000);
      expect(server.headersTimeout).toBe(10_000);
      expect(server.keepAliveTimeout).toBe(72_000);
      expect(server.timeout).toBe(120_000);
    });
  });
});
