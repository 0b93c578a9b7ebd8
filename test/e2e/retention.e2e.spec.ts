import { createTestDatabase, type TestDatabase } from '../support/database';
import { json, startTestApp, type TestApp } from '../support/app';

/** GET /v1/retention/upcoming: what the retention rule will erase, and when (the rule itself: retention.medium). */
describe('GET /v1/retention/upcoming', () => {
  let db: TestDatabase;
  let gw: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('answers the configured period and the people due within the window', async () => {
    const res = await gw.api('/v1/retention/upcoming?within_days=30');
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ inactive_months: 24, items: [] });
  });

  it.each(['within_days=-1', 'within_days=abc', 'within_days=4000', 'limit=0'])(
    'refuses %s with a problem naming the parameter',
    async (query) => {
      const res = await gw.api(`/v1/retention/upcoming?${query}`);
      expect(res.status).toBe(400);
      const problem = (await res.json()) as { errors: { field: string }[] };
      expect(problem.errors.map((e) => e.field)).toContain(query.split('=')[0]);
    },
  );

  it('records the look in the audit log', async () => {
    await gw.api('/v1/retention/upcoming');
    const rows = await db.query<{ action: string }>(
      `SELECT action FROM audit_event WHERE action = 'retention.upcoming'`,
    );
    expect(rows.length).toBeGreaterThan(0);
  });
});
