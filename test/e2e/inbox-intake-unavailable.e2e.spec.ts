import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { json, startTestApp, type TestApp } from '../support/app';
import { textWebhook } from '../support/whatsapp';

const FIXTURES = join(__dirname, '../fixtures/whatsapp');

/** The direct intake route: what it stores, and what it answers when it cannot store. */
describe('WhatsApp intake (direct route)', () => {
  let db: TestDatabase;
  let gateway: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    // API role only: the rows stay as the intake stored them.
    gateway = await startTestApp({ databaseUrl: db.url, roles: { api: true, worker: false } });
  });

  afterAll(async () => {
    await gateway?.close();
    await db?.drop();
  });

  it('stores plain delivery statuses in the bulk lane and anything that may change consent in the signal lane', async () => {
    const status = readFileSync(join(FIXTURES, '02-meta-doc-status-delivered.json'));
    const failed = readFileSync(join(FIXTURES, '14-pywa-status-failed-130472.json'));
    const message = textWebhook({ wamid: 'wamid.LANE1', timestamp: 1795000000 });
    for (const body of [status, failed, message]) expect((await gateway.postWebhook(body)).status).toBe(200);

    const rows = await db.query<{ lane: number }>(`SELECT lane FROM inbox ORDER BY lane`);
    expect(rows.map((r) => r.lane)).toEqual([0, 0, 1]);
  });

  it('answers 503 with Retry-After and a problem, stores nothing, when the inbox cannot be written', async () => {
    const before = await db.query(`SELECT id FROM inbox`);
    await db.query(
      `ALTER TABLE inbox ADD CONSTRAINT ck_test_refuse CHECK (provider <> 'whatsapp') NOT VALID`,
    );
    try {
      const res = await gateway.postWebhook(textWebhook({ wamid: 'wamid.DOWN1', timestamp: 1795000000 }));

      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const body = await json(res);
      expect(body).toEqual(expect.objectContaining({ status: 503, code: 'inbox_unavailable' }));
      // The database's own words (constraint names, values) stay in the log.
      expect(JSON.stringify(body)).not.toContain('ck_test_refuse');
    } finally {
      await db.query(`ALTER TABLE inbox DROP CONSTRAINT ck_test_refuse`);
    }
    expect(await db.query(`SELECT id FROM inbox`)).toHaveLength(before.length);
  });

  it('keeps refusing a bad signature with 401 before storing anything', async () => {
    const before = await db.query(`SELECT id FROM inbox`);
    const res = await gateway.postWebhook(textWebhook({ wamid: 'wamid.BADSIG' }), { signature: 'sha256=00' });
    expect(res.status).toBe(401);
    expect(await json(res)).toEqual(expect.objectContaining({ code: 'invalid_signature' }));
    expect(await db.query(`SELECT id FROM inbox`)).toHaveLength(before.length);
  });
});
