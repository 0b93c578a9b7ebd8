import { createTestDatabase, type TestDatabase } from '../support/database';
import { json, startTestApp, testConfig, type TestApp } from '../support/app';

/**
 * What the console reads of deliveries and people (issue 11): every delivery across connections, newest first,
 * paged by a keyset cursor and filtered; each with the person masked, what it told the processor and whether a
 * retry can help; a person found by the number WhatsApp shows; the charts' counts. The workers do not run: the
 * deliveries' outcomes are set in the database, so each status is there on purpose.
 */
describe('deliveries and people as the console reads them', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let first: string;
  let second: string;
  let ana: string;
  let ben: string;

  const get = async (path: string) => {
    const res = await gw.api(path);
    return { status: res.status, body: await json(res) };
  };

  async function consent(eventId: string, phone: string, status: 'granted' | 'withdrawn', at: string) {
    const res = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: { event_id: eventId, phone, purpose: 'marketing', channel: 'whatsapp', status, captured_at: at },
    });
    expect(res.status).toBe(200);
    return (await json(res)).subject_id as string;
  }

  async function connect(name: string) {
    const res = await gw.api('/v1/connections', {
      method: 'POST',
      json: { type: 'webhook', name, credentials: { url: 'http://127.0.0.1:9/hooks' } },
    });
    const body = await json(res);
    expect([res.status, body.detail]).toEqual([201, undefined]);
    return body.id as string;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({
      databaseUrl: db.url,
      // The processors' address is never called (no worker runs), but it must pass the outbound guard.
      config: testConfig(db.url, { OUTBOUND_ALLOWLIST: '127.0.0.1:*' }),
      roles: { api: true, worker: false },
    });
    first = await connect('First CRM');
    second = await connect('Second CRM');
    // Each change plans one delivery per connection: Ana's grant, then her withdrawal (coalesced into the open
    // one), Ben's grant.
    ana = await consent('ana-1', '+4915112345001', 'granted', '2026-12-01T10:00:00Z');
    ben = await consent('ben-1', '+4915112345002', 'granted', '2026-12-01T11:00:00Z');
    // Outcomes, set by hand: Ana's delivery to First succeeded, to Second was skipped (no record there); Ben's to
    // First died, to Second went out flagged without a DPA.
    await db.query(
      `UPDATE delivery SET status = 'succeeded', attempts = 2, completed_at = now(),
                      vendor_reference = 'evt_1' WHERE subject_id = $1 AND connection_id = $2`,
      [ana, first],
    );
    await db.query(
      `UPDATE delivery SET status = 'skipped', reason = 'not_found_at_vendor', attempts = 1,
                      completed_at = now() WHERE subject_id = $1 AND connection_id = $2`,
      [ana, second],
    );
    await db.query(
      `UPDATE delivery SET status = 'dead', attempts = 8, last_error = 'HTTP 500 from the processor',
                      completed_at = now() WHERE subject_id = $1 AND connection_id = $2`,
      [ben, first],
    );
    await db.query(
      `UPDATE delivery SET status = 'succeeded', attempts = 1, flags = '{dpa_missing}',
                      completed_at = now() WHERE subject_id = $1 AND connection_id = $2`,
      [ben, second],
    );
    // An erasure for Ana at First, with the processor's evidence.
    await db.query(
      `INSERT INTO delivery (connection_id, subject_id, operation, status, attempts, evidence, completed_at)
       VALUES ($1, $2, 'erasure', 'succeeded', 1, '{"mode":"hard_delete","records":1}', now())`,
      [first, ana],
    );
    // Ana withdraws after that: a new delivery to each connection.
    await consent('ana-2', '+4915112345001', 'withdrawn', '2026-12-02T09:00:00Z');
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('lists every delivery across connections, newest first, with the person masked and the direction in words', async () => {
    const { status, body } = await get('/v1/deliveries');
    expect(status).toBe(200);
    expect(body.deliveries).toHaveLength(7);
    const times = body.deliveries.map((d: { created_at: string }) => d.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(new Set(body.deliveries.map((d: { connection_id: string }) => d.connection_id))).toEqual(
      new Set([first, second]),
    );
    const ofAna = body.deliveries.filter((d: { subject_id: string }) => d.subject_id === ana);
    expect(new Set(ofAna.map((d: { subject_masked: string }) => d.subject_masked))).toEqual(
      new Set(['+49 ••• ••• 001']),
    );
    // The newest two are Ana's withdrawal; her first deliveries carried the grant; the erasure is an erasure.
    expect(body.deliveries.slice(0, 2).map((d: { direction: string }) => d.direction)).toEqual([
      'withdrawal',
      'withdrawal',
    ]);
    expect(ofAna.map((d: { direction: string }) => d.direction).sort()).toEqual(
      ['erasure', 'grant', 'grant', 'withdrawal', 'withdrawal'].sort(),
    );
    expect(JSON.stringify(body)).not.toContain('4915112345001');
  });

  it('filters by connection, status, operation and flag', async () => {
    const byConnection = (await get(`/v1/deliveries?connection_id=${second}`)).body.deliveries;
    expect(byConnection.every((d: { connection_id: string }) => d.connection_id === second)).toBe(true);
    expect(byConnection).toHaveLength(3);

    const dead = (await get('/v1/deliveries?status=dead')).body.deliveries;
    expect(dead.map((d: { subject_id: string }) => d.subject_id)).toEqual([ben]);

    const erasures = (await get('/v1/deliveries?operation=erasure')).body.deliveries;
    expect(erasures).toHaveLength(1);
    expect(erasures[0].evidence).toEqual({ mode: 'hard_delete', records: 1 });

    const flagged = (await get('/v1/deliveries?flag=dpa_missing')).body.deliveries;
    expect(
      flagged.map((d: { subject_id: string; connection_id: string }) => [d.subject_id, d.connection_id]),
    ).toEqual([[ben, second]]);

    const both = (
      await get(`/v1/deliveries?connection_id=${first}&status=succeeded&operation=consent_update`)
    ).body.deliveries;
    expect(both.map((d: { subject_id: string }) => d.subject_id)).toEqual([ana]);
  });

  it('pages by cursor without losing or repeating deliveries created in the same instant', async () => {
    // Three deliveries share one creation time to the microsecond: only the id orders them.
    await db.query(
      `UPDATE delivery SET created_at = '2026-12-01T12:00:00.123456Z' WHERE operation = 'consent_update' AND subject_id = $1`,
      [ben],
    );
    await db.query(
      `UPDATE delivery SET created_at = '2026-12-01T12:00:00.123456Z' WHERE operation = 'erasure'`,
    );
    const all = (await get('/v1/deliveries?limit=100')).body.deliveries.map((d: { id: string }) => d.id);
    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { deliveries: { id: string }[]; next_cursor: string | null } = (
        await get(`/v1/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).body;
      paged.push(...page.deliveries.map((d: { id: string }) => d.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(paged).toEqual(all);
    expect(pages).toBe(4);
  });

  it('refuses a cursor it did not give, and unknown filters, naming the field', async () => {
    const badCursor = await get('/v1/deliveries?cursor=bm90LWEtY3Vyc29y');
    expect(badCursor.status).toBe(400);
    expect(JSON.stringify(badCursor.body.errors)).toContain('cursor');
    const noSuchDay = Buffer.from(
      '2026-02-30T10:00:00.000000Z|00000000-0000-4000-8000-000000000000',
    ).toString('base64url');
    expect((await get(`/v1/deliveries?cursor=${noSuchDay}`)).status).toBe(400);
    const badOperation = await get('/v1/deliveries?operation=grant_everything');
    expect(badOperation.status).toBe(400);
    expect(JSON.stringify(badOperation.body.errors)).toContain('operation');
    const badFlag = await get('/v1/deliveries?flag=whatever');
    expect(badFlag.status).toBe(400);
  });

  it('offers a retry only where it can help, and refuses one for a skipped not-found delivery', async () => {
    const all = (await get('/v1/deliveries')).body.deliveries;
    const skipped = all.find((d: { status: string }) => d.status === 'skipped');
    const dead = all.find((d: { status: string }) => d.status === 'dead');
    const succeeded = all.find((d: { status: string }) => d.status === 'succeeded');
    expect(skipped).toMatchObject({ retryable: false, retry_refusal: 'waits_for_record' });
    expect(succeeded).toMatchObject({ retryable: false, retry_refusal: 'succeeded' });
    expect(dead).toMatchObject({
      retryable: true,
      retry_refusal: null,
      last_error: 'HTTP 500 from the processor',
    });

    const refused = await gw.api(`/v1/deliveries/${skipped.id}/retry`, { method: 'POST' });
    expect(refused.status).toBe(400);
    expect((await json(refused)).detail).toMatch(/sent again by itself when a record appears/);
    expect((await get(`/v1/deliveries/${skipped.id}`)).body.status).toBe('skipped');

    const retried = await gw.api(`/v1/deliveries/${dead.id}/retry`, { method: 'POST' });
    expect(retried.status).toBe(202);
    expect((await json(retried)).status).toBe('pending');
  });

  it('shows one delivery with its person, direction, reference and evidence', async () => {
    const [erasure] = (await get('/v1/deliveries?operation=erasure')).body.deliveries;
    const { status, body } = await get(`/v1/deliveries/${erasure.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      subject_masked: '+49 ••• ••• 001',
      direction: 'erasure',
      connection_name: 'First CRM',
      evidence: { mode: 'hard_delete', records: 1 },
    });
  });

  it('finds a person by the bare number WhatsApp shows, as by the international form', async () => {
    const bare = await get('/v1/consents?phone=4915112345001');
    expect(bare.status).toBe(200);
    expect(bare.body.subject_id).toBe(ana);
    expect((await get('/v1/consents?phone=%2B4915112345001')).body.subject_id).toBe(ana);
    const nonsense = await get('/v1/consents?phone=12');
    expect(nonsense.status).toBe(400);
    expect(JSON.stringify(nonsense.body.errors)).toContain('phone');
  });

  it('gives the timeline masked identifiers and events numbered in order', async () => {
    const { body } = await get(`/v1/subjects/${ana}/timeline`);
    expect(body.identities.map((i: { masked: string | null }) => i.masked)).toContain('+49 ••• ••• 001');
    expect(body.events.map((e: { sequence: number }) => e.sequence)).toEqual([1, 2]);
    expect(body.events.map((e: { status: string }) => e.status)).toEqual(['granted', 'withdrawn']);
    expect(JSON.stringify(body.identities)).not.toContain('4915112345001');
  });

  it('counts deliveries per connection and day, and consent changes per day by source', async () => {
    await db.query(`UPDATE delivery SET created_at = now()`);
    const deliveries = await get('/v1/charts/deliveries?days=7');
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.days).toHaveLength(7);
    const today = deliveries.body.days[6];
    const firstCrm = deliveries.body.connections.find((c: { id: string }) => c.id === first);
    expect(firstCrm.name).toBe('First CRM');
    expect(firstCrm.days).toHaveLength(7);
    // First: Ana's grant succeeded after 2 attempts (retried), her erasure succeeded, Ben's retried one is pending
    // again, Ana's withdrawal is pending.
    expect(firstCrm.days.find((d: { day: string }) => d.day === today)).toEqual({
      day: today,
      succeeded: 1,
      retried: 1,
      dead: 0,
      skipped: 0,
    });
    const secondCrm = deliveries.body.connections.find((c: { id: string }) => c.id === second);
    expect(secondCrm.days.at(-1)).toMatchObject({ succeeded: 1, skipped: 1 });

    const consent = await get('/v1/charts/consent-changes?days=3');
    expect(consent.status).toBe(200);
    expect(consent.body.sources).toEqual([
      {
        source: 'api',
        days: expect.arrayContaining([{ day: today, granted: 2, withdrawn: 1 }]),
      },
    ]);
    const tooMany = await get('/v1/charts/deliveries?days=1000');
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body.errors)).toContain('days');
  });
});
