import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, startTestApp, testConfig, TEST_API_KEY, type TestApp } from '../support/app';
import { ConsentQueryService } from '../../src/modules/ledger/consent-query.service';

/**
 * GET /v1/consents/check is answered below Fastify once the caller's key is in the key cache (see
 * consent-check.route.ts). A new key's first check is verified by the guard (Nest's path) and fills the
 * cache; every later one within the cache's TTL is the fast path's. These specify that a caller cannot tell
 * them apart: same answer, same headers, same limits, same refusals.
 */
describe('the consent check served from the key cache', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  let phoneCounter = 3000;
  const newPhone = () => `+1650253${String(phoneCounter++).padStart(4, '0')}`;

  const start = (env: Record<string, string> = {}) =>
    startTestApp({ databaseUrl: db.url, config: testConfig(db.url, env) });

  const record = async (app: TestApp, fields: Record<string, string>) => {
    const res = await app.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: `evt-${randomUUID()}`,
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        captured_at: '2026-11-01T10:00:00Z',
        ...fields,
      },
    });
    expect(res.status).toBe(200);
  };

  const newKey = async (app: TestApp, scopes: string[]) => {
    const res = await app.api('/v1/api-keys', { method: 'POST', json: { name: 'reader', scopes } });
    expect(res.status).toBe(201);
    return ((await res.json()) as { key: string }).key;
  };

  /** Status, headers (but the date) and body of an answer, for comparing two answers byte for byte. */
  const answer = async (res: Response) => {
    const headers = Object.fromEntries([...res.headers].filter(([name]) => name !== 'date'));
    return { status: res.status, headers, body: await res.text() };
  };

  describe('with the limits off', () => {
    let gw: TestApp;

    beforeAll(async () => {
      gw = await start();
      const queries = gw.app.get(ConsentQueryService);
      expect(await eventually(async () => queries.indexStatus.state === 'ready')).toBe(true);
    });

    afterAll(() => gw?.close());

    it('answers a cached key exactly as the guard-verified first request, for every kind of answer', async () => {
      const granted = newPhone();
      const withdrawn = newPhone();
      const email = `fast-${randomUUID()}@example.com`;
      await record(gw, { phone: granted });
      await record(gw, { phone: withdrawn, status: 'withdrawn', scope: '15550001' });
      await record(gw, { email, channel: 'email' });
      const queries = [
        `phone=${encodeURIComponent(granted)}&purpose=marketing&channel=whatsapp`,
        `phone=${encodeURIComponent(withdrawn)}`,
        `phone=${encodeURIComponent(withdrawn)}&scope=15550001`,
        `phone=${encodeURIComponent(newPhone())}`,
        `email=${encodeURIComponent(email)}&channel=email`,
        `subject_id=${randomUUID()}`,
      ];
      for (const query of queries) {
        const key = await newKey(gw, ['consent:read']);
        const ask = async () => answer(await gw.api(`/v1/consents/check?${query}`, { key }));
        const verified = await ask();
        const cached = await ask();
        expect(verified.status).toBe(200);
        expect(cached).toEqual(verified);
      }
    });

    it('shows in /metrics how many checks were answered and how fast, and that the ledger is in memory', async () => {
      const metric = async (name: string) => {
        const text = await (await gw.api('/metrics')).text();
        return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      };
      const before = await metric('cg_consent_check_duration_seconds_count');
      const query = `/v1/consents/check?phone=${encodeURIComponent(newPhone())}`;
      for (let i = 0; i < 3; i++) expect((await gw.api(query)).status).toBe(200);
      expect(await metric('cg_consent_check_duration_seconds_count')).toBe(before + 3);
      expect(await metric('cg_consent_projection_ready')).toBe(1);
      expect(await metric('cg_consent_projection_people')).toBeGreaterThanOrEqual(0);
    });

    it('carries the security headers and is never stored by a cache', async () => {
      await gw.api(`/v1/consents/check?phone=${encodeURIComponent(newPhone())}`);
      const res = await gw.api(`/v1/consents/check?phone=${encodeURIComponent(newPhone())}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    });

    it.each([
      ['a NUL in a value', `phone=%2B16502530001%00`, 'phone'],
      ['an invalid phone', 'phone=%2B12', 'phone'],
      ['an unknown field', 'phone=%2B16502530001&colour=red', 'colour'],
      ['two identifiers', 'phone=%2B16502530001&email=a%40example.com', undefined],
      ['an unknown channel', 'phone=%2B16502530001&channel=pigeon', 'channel'],
    ])('refuses %s with the same 400 problem as for a key not yet cached', async (_what, query, field) => {
      const key = await newKey(gw, ['consent:read']);
      const ask = async () => answer(await gw.api(`/v1/consents/check?${query}`, { key }));
      const first = await ask();
      expect(first.status).toBe(400);
      expect(first.headers['content-type']).toMatch(/^application\/problem\+json/);
      if (field) expect(first.body).toContain(`"field":"${field}"`);
      expect(await ask()).toEqual(first);
    });

    it('refuses a cached key without consent:read (403), and a revoked one at once (401)', async () => {
      const writer = await newKey(gw, ['consent:write']);
      const query = `/v1/consents/check?phone=${encodeURIComponent(newPhone())}`;
      expect((await gw.api(query, { key: writer })).status).toBe(403);
      expect((await gw.api(query, { key: writer })).status).toBe(403);

      const res = await gw.api('/v1/api-keys', {
        method: 'POST',
        json: { name: 'soon revoked', scopes: ['consent:read'] },
      });
      const { id, key } = (await res.json()) as { id: string; key: string };
      expect((await gw.api(query, { key })).status).toBe(200);
      expect((await gw.api(query, { key })).status).toBe(200);
      expect((await gw.api(`/v1/api-keys/${id}`, { method: 'DELETE' })).status).toBe(200);
      const refused = await gw.api(query, { key });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { code: string }).code).toBe('unauthenticated');
    });
  });

  describe('with the limits on', () => {
    it('counts cached checks against the key, announcing the last tenth and refusing past the limit', async () => {
      const app = await start({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_PER_API_KEY: '40' });
      try {
        const query = `/v1/consents/check?phone=${encodeURIComponent(newPhone())}`;
        const remaining: (string | null)[] = [];
        for (let i = 1; i <= 40; i++) {
          const res = await app.api(query);
          expect(res.status).toBe(200);
          remaining.push(res.headers.get('ratelimit-remaining'));
        }
        expect(remaining.slice(0, 35)).toEqual(Array(35).fill(null));
        expect(remaining.slice(35)).toEqual(['4', '3', '2', '1', '0']);
        const refused = await app.api(query);
        expect(refused.status).toBe(429);
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(refused.headers.get('x-frame-options')).toBe('DENY');
      } finally {
        await app.close();
      }
    });

    it('refuses a cached key from an address that keeps failing authentication', async () => {
      const app = await start({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_AUTH_FAILURES_PER_IP: '3' });
      try {
        const query = `/v1/consents/check?phone=${encodeURIComponent(newPhone())}`;
        expect((await app.api(query)).status).toBe(200);
        expect((await app.api(query)).status).toBe(200);
        for (let i = 0; i < 3; i++)
          expect((await app.api(query, { key: `cgk_guess_${i}` })).status).toBe(401);
        const refused = await app.api(query, { key: TEST_API_KEY });
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      } finally {
        await app.close();
      }
    });
  });
});
