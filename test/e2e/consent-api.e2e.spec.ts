import { createHash, randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, startTestApp, TEST_API_KEY, type TestApp } from '../support/app';
import { ConsentQueryService } from '../../src/modules/ledger/consent-query.service';

/** Tables a refused request must leave untouched. */
const TABLES = ['consent_event', 'consent_state', 'subject', 'subject_identity'] as const;

/** 1 November 2026 at hh:mm UTC: a fixed past day, so no captured_at is ever "in the future". */
const at = (hhmm: string) => `2026-11-01T${hhmm}:00Z`;

let phoneCounter = 1000;
/** A valid, never-used phone number (Google's 650-253 exchange), in E.164. */
const newPhone = () => `+1650253${String(phoneCounter++).padStart(4, '0')}`;

interface EventBody {
  event_id: string;
  phone?: string;
  email?: string;
  subject_id?: string;
  purpose: string;
  channel: string;
  scope?: string;
  status: 'granted' | 'withdrawn';
  captured_at: string;
  [field: string]: unknown;
}

/** A valid event for a new person, marketing on WhatsApp, granted at 10:00. */
const event = (overrides: Partial<EventBody> = {}): EventBody => ({
  event_id: `evt-${randomUUID()}`,
  phone: newPhone(),
  purpose: 'marketing',
  channel: 'whatsapp',
  status: 'granted',
  captured_at: at('10:00'),
  ...overrides,
});

interface FieldProblem {
  field: string;
  message: string;
}

describe('the consent API', () => {
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

  const count = async (table: string) =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0].n);
  const snapshot = async () =>
    Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await count(t)] as const)));

  const postEvents = (body: unknown, key: string | null = TEST_API_KEY) =>
    gw.api('/v1/consent-events', { method: 'POST', json: body, key });
  const postRaw = (body: string, contentType = 'application/json', key: string | null = TEST_API_KEY) =>
    gw.api('/v1/consent-events', { method: 'POST', body, headers: { 'content-type': contentType }, key });

  /** Posts and expects success; returns the per-event result. */
  const record = async (body: EventBody) => {
    const res = await postEvents(body);
    expect(res.status).toBe(200);
    return (await res.json()) as {
      event_id: string;
      ledger_event_id: string;
      subject_id: string;
      effect: string;
      duplicate: boolean;
    };
  };

  const check = async (params: Record<string, string>) => {
    const res = await gw.api(`/v1/consents/check?${new URLSearchParams(params).toString()}`);
    expect(res.status).toBe(200);
    return (await res.json()) as { allowed: boolean; status: string; reason: string };
  };

  const createKey = async (scopes: string[], name = 'test key') => {
    const res = await gw.api('/v1/api-keys', { method: 'POST', json: { name, scopes } });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string; prefix: string; scopes: string[] };
  };

  /** Asserts an RFC 9457 problem with that status, naming `field` when given; returns the body. */
  const expectProblem = async (res: Response, status: number, field?: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as { status: number; code: string; errors?: FieldProblem[] };
    expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
    if (field !== undefined) expect((body.errors ?? []).map((e) => e.field)).toContain(field);
    return body;
  };

  describe('POST /v1/consent-events', () => {
    it('records one event and answers with its ledger id, subject and effect', async () => {
      const body = event();
      const result = await record(body);
      expect(result).toEqual({
        event_id: body.event_id,
        status: 'recorded',
        ledger_event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        subject_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        effect: 'changed',
        duplicate: false,
      });
      const rows = await db.query(`SELECT id, subject_id, source FROM consent_event WHERE id = $1`, [
        result.ledger_event_id,
      ]);
      expect(rows).toEqual([{ id: result.ledger_event_id, subject_id: result.subject_id, source: 'api' }]);
    });

    it('keeps the evidence the caller gave with the event', async () => {
      const body = event({
        method: 'web_form',
        captured_at: at('09:15'),
        legal_basis: 'consent',
        notice_version: 'privacy-notice-v3',
        policy_url: 'https://shop.example/privacy',
        language: 'pt-BR',
      });
      const { ledger_event_id } = await record(body);
      const [row] = await db.query<Record<string, unknown>>(
        `SELECT method, actor, captured_at, received_at, legal_basis, notice_version, policy_url, language
           FROM consent_event WHERE id = $1`,
        [ledger_event_id],
      );
      expect(row).toMatchObject({
        method: 'web_form',
        actor: 'automation',
        legal_basis: 'consent',
        notice_version: 'privacy-notice-v3',
        policy_url: 'https://shop.example/privacy',
        language: 'pt-BR',
      });
      expect((row.captured_at as Date).toISOString()).toBe(new Date(at('09:15')).toISOString());
    });

    it('stamps received_at itself, separate from the caller’s captured_at', async () => {
      const { ledger_event_id } = await record(event({ captured_at: at('08:00') }));
      const [row] = await db.query<{ captured_at: Date; received_at: Date }>(
        `SELECT captured_at, received_at FROM consent_event WHERE id = $1`,
        [ledger_event_id],
      );
      expect(row.received_at).toBeInstanceOf(Date);
      expect(row.received_at.getTime()).toBeGreaterThan(row.captured_at.getTime());
    });

    it('defaults method to api and legal_basis to consent when they are omitted', async () => {
      const { ledger_event_id } = await record(event());
      const [row] = await db.query(
        `SELECT method, legal_basis, notice_version FROM consent_event WHERE id = $1`,
        [ledger_event_id],
      );
      expect(row).toEqual({ method: 'api', legal_basis: 'consent', notice_version: null });
    });

    it('seals free-form evidence instead of storing it in clear', async () => {
      const { ledger_event_id } = await record(event({ evidence: { ip: '203.0.113.77', checkbox: true } }));
      const [row] = await db.query<{ evidence: Record<string, unknown>; sealed_evidence: Buffer | null }>(
        `SELECT evidence, sealed_evidence FROM consent_event WHERE id = $1`,
        [ledger_event_id],
      );
      expect(row.sealed_evidence).toBeInstanceOf(Buffer);
      expect(row.sealed_evidence!.toString('latin1')).not.toContain('203.0.113.77');
      expect(JSON.stringify(row.evidence)).not.toContain('203.0.113.77');
    });

    it('records a batch, answering one result per event in the order sent', async () => {
      const events = [event(), event({ status: 'withdrawn' }), event({ email: 'batch@example.com' })];
      const res = await postEvents({ events });
      expect(res.status).toBe(200);
      const { results } = (await res.json()) as { results: { event_id: string; duplicate: boolean }[] };
      expect(results.map((r) => r.event_id)).toEqual(events.map((e) => e.event_id));
      expect(results.every((r) => r.duplicate === false)).toBe(true);
      const stored = await db.query(`SELECT id FROM consent_event WHERE source_event_id LIKE ANY ($1)`, [
        events.map((e) => `%:${e.event_id}`),
      ]);
      expect(stored).toHaveLength(3);
    });

    it('accepts a batch of 1000 events', async () => {
      const phone = newPhone();
      const events = Array.from({ length: 1000 }, (_, i) =>
        event({
          phone,
          purpose: `p${i % 10}`,
          status: i % 2 ? 'withdrawn' : 'granted',
          captured_at: new Date(Date.parse(at('00:00')) + i * 1000).toISOString(),
        }),
      );
      const before = await count('consent_event');
      const res = await postEvents({ events });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { results: unknown[] }).results).toHaveLength(1000);
      expect(await count('consent_event')).toBe(before + 1000);
    });

    it('refuses a batch of 1001 events, storing none', async () => {
      const before = await snapshot();
      const events = Array.from({ length: 1001 }, () => event());
      await expectProblem(await postEvents({ events }), 400, 'events');
      expect(await snapshot()).toEqual(before);
    });

    it('records an event for an existing subject named by subject_id', async () => {
      const first = await record(event());
      const second = await record(event({ phone: undefined, subject_id: first.subject_id, channel: 'sms' }));
      expect(second.subject_id).toBe(first.subject_id);
      expect(second.duplicate).toBe(false);
    });

    it('attaches a new identifier given alongside a phone to the same person', async () => {
      const phone = newPhone();
      const first = await record(event({ phone }));
      const second = await record(event({ phone, email: 'Same.Person@Example.com' }));
      expect(second.subject_id).toBe(first.subject_id);
      const res = await gw.api('/v1/consents?email=same.person%40example.com');
      expect(res.status).toBe(200);
      expect(((await res.json()) as { subject_id: string }).subject_id).toBe(first.subject_id);
    });
  });

  describe('idempotency by event_id', () => {
    it('answers the same event_id a second time as a duplicate and stores it once', async () => {
      const body = event();
      const first = await record(body);
      const second = await record(body);
      expect(second).toEqual({ ...first, duplicate: true });
      const rows = await db.query(`SELECT id FROM consent_event WHERE source_event_id LIKE $1`, [
        `%:${body.event_id}`,
      ]);
      expect(rows).toHaveLength(1);
    });

    it('treats a repeated event_id as a duplicate even when the rest of the event differs', async () => {
      const body = event();
      const first = await record(body);
      const second = await record({ ...body, status: 'withdrawn', captured_at: at('11:00') });
      expect(second).toMatchObject({ ledger_event_id: first.ledger_event_id, duplicate: true });
      expect((await check({ phone: body.phone! })).status).toBe('granted');
    });

    it('marks only the repeated events of a batch as duplicates', async () => {
      const old = event();
      await record(old);
      const fresh = event();
      const res = await postEvents({ events: [old, fresh] });
      expect(res.status).toBe(200);
      const { results } = (await res.json()) as { results: { duplicate: boolean }[] };
      expect(results.map((r) => r.duplicate)).toEqual([true, false]);
    });

    it('keeps event_ids of different API keys apart', async () => {
      const other = await createKey(['consent:write']);
      const body = event();
      const mine = await record(body);
      const res = await postEvents(body, other.key);
      expect(res.status).toBe(200);
      const theirs = (await res.json()) as { ledger_event_id: string; duplicate: boolean };
      expect(theirs.duplicate).toBe(false);
      expect(theirs.ledger_event_id).not.toBe(mine.ledger_event_id);
    });

    it('refuses a batch that repeats an event_id, naming the repeat, and stores nothing', async () => {
      const before = await snapshot();
      const first = event();
      const problem = await expectProblem(
        await postEvents({ events: [first, event({ event_id: first.event_id })] }),
        400,
        'events.1.event_id',
      );
      expect(problem.errors!.map((e) => e.field)).not.toContain('events.0.event_id');
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('a batch is all or nothing', () => {
    it('stores none of the events when one is invalid, naming that item’s field', async () => {
      const before = await snapshot();
      const events = [event(), event(), event(), event({ phone: '+1555' }), event()];
      const problem = await expectProblem(await postEvents({ events }), 400, 'events.3.phone');
      expect(problem.errors!.every((e) => e.field.startsWith('events.3.'))).toBe(true);
      expect(await snapshot()).toEqual(before);
    });

    it('stores none of the events when a later one names an unknown subject', async () => {
      const before = await snapshot();
      const events = [event(), event(), event({ phone: undefined, subject_id: randomUUID() })];
      await expectProblem(await postEvents({ events }), 400, 'events.2.subject_id');
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('bad requests store nothing', () => {
    const validJson = () => JSON.stringify(event());
    const cases: [name: string, send: () => Promise<Response>, status: number, field: string][] = [
      ['malformed JSON', () => postRaw('{"event_id": "x",'), 400, 'body'],
      ['a JSON array instead of an object', () => postRaw(`[${validJson()}]`), 400, 'body'],
      ['a JSON string instead of an object', () => postRaw('"hello"'), 400, 'body'],
      ['an empty body declared as JSON', () => postRaw(''), 400, 'body'],
      ['an unknown field', () => postEvents(event({ colour: 'blue' })), 400, 'colour'],
      [
        'an unknown field in a batch item',
        () => postEvents({ events: [event(), event({ x: 1 })] }),
        400,
        'events.1.x',
      ],
      [
        'an unknown field beside events',
        () => postEvents({ events: [event()], dry_run: true }),
        400,
        'dry_run',
      ],
      ['an invalid phone number', () => postEvents(event({ phone: '+1555' })), 400, 'phone'],
      [
        'a phone number without +country code',
        () => postEvents(event({ phone: '6502530001' })),
        400,
        'phone',
      ],
      [
        'an invalid phone number in item 3 of a batch',
        () => postEvents({ events: [event(), event(), event(), event({ phone: 'not a phone' })] }),
        400,
        'events.3.phone',
      ],
      ['an invalid email', () => postEvents(event({ phone: undefined, email: 'nope' })), 400, 'email'],
      [
        'a subject_id that is not a uuid',
        () => postEvents(event({ phone: undefined, subject_id: '42' })),
        400,
        'subject_id',
      ],
      [
        'an unknown subject_id',
        () => postEvents(event({ phone: undefined, subject_id: randomUUID() })),
        400,
        'subject_id',
      ],
      ['no identifier at all', () => postEvents(event({ phone: undefined })), 400, 'phone'],
      ['a missing event_id', () => postEvents(event({ event_id: undefined })), 400, 'event_id'],
      ['a missing captured_at', () => postEvents(event({ captured_at: undefined })), 400, 'captured_at'],
      ['a number as status', () => postEvents(event({ status: 1 as never })), 400, 'status'],
      ['an unknown status', () => postEvents(event({ status: 'maybe' as never })), 400, 'status'],
      ['an unknown channel', () => postEvents(event({ channel: 'pigeon' })), 400, 'channel'],
      ['a number as purpose', () => postEvents(event({ purpose: 42 as never })), 400, 'purpose'],
      [
        'a number as captured_at',
        () => postEvents(event({ captured_at: 1793527200 as never })),
        400,
        'captured_at',
      ],
      [
        'a captured_at that is not RFC 3339',
        () => postEvents(event({ captured_at: '01/11/2026 10:00' })),
        400,
        'captured_at',
      ],
      [
        'a captured_at in the future',
        () => postEvents(event({ captured_at: '2999-01-01T00:00:00Z' })),
        400,
        'captured_at',
      ],
      ['an unknown method', () => postEvents(event({ method: 'crm_sync' })), 400, 'method'],
      ['events that is not an array', () => postEvents({ events: 'all of them' }), 400, 'events'],
      ['an empty events array', () => postEvents({ events: [] }), 400, 'events'],
      ['a batch item that is not an object', () => postEvents({ events: [event(), 'x'] }), 400, 'events.1'],
      ['an over-long event_id', () => postEvents(event({ event_id: 'e'.repeat(201) })), 400, 'event_id'],
      [
        'an event_id with forbidden characters',
        () => postEvents(event({ event_id: 'a b' })),
        400,
        'event_id',
      ],
      ['an over-long phone', () => postEvents(event({ phone: '+1' + '6'.repeat(40) })), 400, 'phone'],
      ['an over-long purpose', () => postEvents(event({ purpose: 'p'.repeat(65) })), 400, 'purpose'],
      ['an over-long scope', () => postEvents(event({ scope: '1'.repeat(65) })), 400, 'scope'],
      [
        'an over-long notice_version',
        () => postEvents(event({ notice_version: 'v'.repeat(65) })),
        400,
        'notice_version',
      ],
      [
        'an over-long policy_url',
        () => postEvents(event({ policy_url: `https://example.com/${'a'.repeat(2100)}` })),
        400,
        'policy_url',
      ],
      [
        'an evidence value that is an object',
        () => postEvents(event({ evidence: { form: { a: 1 } } })),
        400,
        'evidence.form',
      ],
      [
        'an over-long evidence value',
        () => postEvents(event({ evidence: { note: 'n'.repeat(2001) } })),
        400,
        'evidence.note',
      ],
      [
        'a body over the API size limit (2 MB; webhooks alone may send 3 MB)',
        () => postRaw(JSON.stringify({ events: [event()], pad: 'x'.repeat(2 * 1024 * 1024 + 1024) })),
        413,
        'body',
      ],
      ['a text/plain body', () => postRaw(validJson(), 'text/plain'), 415, 'content-type'],
      [
        'a form-encoded body',
        () => postRaw('event_id=x', 'application/x-www-form-urlencoded'),
        415,
        'content-type',
      ],
    ];

    it.each(cases)('refuses %s', async (_name, send, status, field) => {
      const before = await snapshot();
      await expectProblem(await send(), status, field);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('who may post events', () => {
    it('answers 401 without an API key, storing nothing', async () => {
      const before = await snapshot();
      const problem = await expectProblem(await postEvents(event(), null), 401);
      expect(problem.code).toBe('unauthenticated');
      expect(await snapshot()).toEqual(before);
    });

    it('answers 401 to a key it never issued', async () => {
      await expectProblem(await postEvents(event(), 'cgk_not-a-key-we-issued'), 401);
    });

    it('answers 401 to a malformed Authorization header', async () => {
      const res = await gw.api('/v1/consent-events', {
        method: 'POST',
        json: event(),
        key: null,
        headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      });
      await expectProblem(res, 401);
    });

    it('answers 403 to a key without consent:write, storing nothing', async () => {
      const reader = await createKey(['consent:read', 'subjects:read']);
      const before = await snapshot();
      const problem = await expectProblem(await postEvents(event(), reader.key), 403);
      expect(problem.code).toBe('insufficient_scope');
      expect(await snapshot()).toEqual(before);
    });

    it('answers 401 to a key as soon as it is revoked, even one used a moment before', async () => {
      const writer = await createKey(['consent:write']);
      expect((await postEvents(event(), writer.key)).status).toBe(200);
      const revoke = await gw.api(`/v1/api-keys/${writer.id}`, { method: 'DELETE' });
      expect(revoke.status).toBe(200);
      const before = await snapshot();
      await expectProblem(await postEvents(event(), writer.key), 401);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('/v1/api-keys', () => {
    it('shows a new key once, at creation, with the scopes asked for', async () => {
      const created = await createKey(['consent:read', 'metrics:read'], 'zapier production');
      expect(created).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'zapier production',
        scopes: ['consent:read', 'metrics:read'],
        revoked_at: null,
      });
      expect(created.key).toMatch(/^cgk_[\w-]{40,}$/);
      expect(created.key).toContain(created.prefix);
    });

    it('stores only a hash of the key', async () => {
      const created = await createKey(['consent:read']);
      const rows = await db.query<{ key_hash: Buffer }>(`SELECT * FROM api_key WHERE id = $1`, [created.id]);
      expect(rows).toHaveLength(1);
      expect(rows[0].key_hash.equals(createHash('sha256').update(created.key).digest())).toBe(true);
      const secret = created.key.slice('cgk_'.length);
      for (const value of Object.values(rows[0])) {
        expect(Buffer.isBuffer(value) ? value.toString('latin1') : JSON.stringify(value)).not.toContain(
          secret,
        );
      }
    });

    it('lists keys without the key itself', async () => {
      const created = await createKey(['subjects:read'], 'listed');
      const res = await gw.api('/v1/api-keys');
      expect(res.status).toBe(200);
      const { api_keys } = (await res.json()) as { api_keys: Record<string, unknown>[] };
      const listed = api_keys.find((k) => k.id === created.id);
      expect(listed).toMatchObject({ name: 'listed', scopes: ['subjects:read'], revoked_at: null });
      expect(listed).not.toHaveProperty('key');
      expect(JSON.stringify(api_keys)).not.toContain(created.key);
    });

    it('lets a key do what its scopes allow and nothing else', async () => {
      const reader = await createKey(['consent:read']);
      expect((await gw.api('/v1/consents/check?phone=%2B16502539999', { key: reader.key })).status).toBe(200);
      expect((await gw.api('/v1/api-keys', { key: reader.key })).status).toBe(403);
    });

    it('revokes a key, and the list shows when', async () => {
      const created = await createKey(['consent:read']);
      const res = await gw.api(`/v1/api-keys/${created.id}`, { method: 'DELETE' });
      expect(res.status).toBe(200);
      const revoked = (await res.json()) as { revoked_at: string | null };
      expect(revoked.revoked_at).toEqual(expect.any(String));
      const { api_keys } = (await (await gw.api('/v1/api-keys')).json()) as {
        api_keys: { id: string; revoked_at: string | null }[];
      };
      expect(api_keys.find((k) => k.id === created.id)?.revoked_at).toBe(revoked.revoked_at);
    });

    it('refuses a key on the check as soon as it is revoked, though it was just used (and cached)', async () => {
      const reader = await createKey(['consent:read']);
      const ask = () => gw.api('/v1/consents/check?phone=%2B16502539999', { key: reader.key });
      expect((await ask()).status).toBe(200);
      expect((await ask()).status).toBe(200);
      expect((await gw.api(`/v1/api-keys/${reader.id}`, { method: 'DELETE' })).status).toBe(200);
      expect(((await (await ask()).json()) as { code: string }).code).toBe('unauthenticated');
    });

    it('answers 403 on the check to a used key without consent:read', async () => {
      const writer = await createKey(['consent:write']);
      const ask = () => gw.api('/v1/consents/check?phone=%2B16502539999', { key: writer.key });
      await expectProblem(await ask(), 403);
      await expectProblem(await ask(), 403);
    });

    it('answers 404 when revoking a key that does not exist', async () => {
      await expectProblem(await gw.api(`/v1/api-keys/${randomUUID()}`, { method: 'DELETE' }), 404);
    });

    it('answers 400 when revoking by an id that is not a uuid', async () => {
      await expectProblem(await gw.api('/v1/api-keys/not-a-uuid', { method: 'DELETE' }), 400);
    });

    it.each([
      ['an unknown scope', { name: 'k', scopes: ['consent:everything'] }, 'scopes'],
      ['no scopes', { name: 'k', scopes: [] }, 'scopes'],
      ['a repeated scope', { name: 'k', scopes: ['consent:read', 'consent:read'] }, 'scopes'],
      ['no name', { scopes: ['consent:read'] }, 'name'],
      ['an over-long name', { name: 'n'.repeat(101), scopes: ['consent:read'] }, 'name'],
      ['an unknown field', { name: 'k', scopes: ['consent:read'], admin: true }, 'admin'],
    ])('refuses to create a key with %s, creating none', async (_name, body, field) => {
      const before = await count('api_key');
      await expectProblem(await gw.api('/v1/api-keys', { method: 'POST', json: body }), 400, field);
      expect(await count('api_key')).toBe(before);
    });

    it('refuses to create a key for a caller without keys:admin', async () => {
      const writer = await createKey(['consent:write', 'consent:read']);
      const before = await count('api_key');
      const res = await gw.api('/v1/api-keys', {
        method: 'POST',
        json: { name: 'escalation', scopes: ['keys:admin'] },
        key: writer.key,
      });
      await expectProblem(res, 403);
      expect(await count('api_key')).toBe(before);
    });
  });

  describe('GET /v1/consents', () => {
    it('answers 404 for a person never seen', async () => {
      const problem = await expectProblem(
        await gw.api(`/v1/consents?phone=${encodeURIComponent(newPhone())}`),
        404,
      );
      expect(problem.code).toBe('not_found');
    });

    it('answers 404 for a subject_id never seen', async () => {
      await expectProblem(await gw.api(`/v1/consents?subject_id=${randomUUID()}`), 404);
    });

    it('lists every current state of a person with where it came from', async () => {
      const phone = newPhone();
      const wa = await record(event({ phone, scope: '106540352242922', captured_at: at('10:00') }));
      const sms = await record(
        event({ phone, channel: 'sms', status: 'withdrawn', captured_at: at('11:00') }),
      );
      const res = await gw.api(`/v1/consents?phone=${encodeURIComponent(phone)}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        subject_id: wa.subject_id,
        states: [
          {
            purpose: 'marketing',
            channel: 'sms',
            scope: '*',
            status: 'withdrawn',
            captured_at: new Date(at('11:00')).toISOString(),
            source: 'api',
            event_id: sms.ledger_event_id,
          },
          {
            purpose: 'marketing',
            channel: 'whatsapp',
            scope: '106540352242922',
            status: 'granted',
            captured_at: new Date(at('10:00')).toISOString(),
            source: 'api',
            event_id: wa.ledger_event_id,
          },
        ],
      });
    });

    it('finds the same person by phone, email or subject_id', async () => {
      const phone = newPhone();
      const { subject_id } = await record(event({ phone, email: 'three.ways@example.com' }));
      for (const query of [
        `phone=${encodeURIComponent(phone)}`,
        'email=Three.Ways%40example.com',
        `subject_id=${subject_id}`,
      ]) {
        const res = await gw.api(`/v1/consents?${query}`);
        expect(res.status).toBe(200);
        expect(((await res.json()) as { subject_id: string }).subject_id).toBe(subject_id);
      }
    });

    it('finds a person by a phone number written with spaces and dashes', async () => {
      const { subject_id } = await record(event({ phone: '+16502538001' }));
      const res = await gw.api(`/v1/consents?phone=${encodeURIComponent('+1 650-253-8001')}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { subject_id: string }).subject_id).toBe(subject_id);
    });

    it.each([
      ['an invalid phone', 'phone=%2B1555', 'phone'],
      ['an invalid email', 'email=nope', 'email'],
      ['a subject_id that is not a uuid', 'subject_id=42', 'subject_id'],
      ['two identifiers', 'phone=%2B16502530001&email=a%40example.com', 'email'],
      ['no identifier', '', 'phone'],
      ['an unknown parameter', 'phone=%2B16502530001&colour=blue', 'colour'],
    ])('answers 400 to %s, naming the field', async (_name, query, field) => {
      await expectProblem(await gw.api(`/v1/consents?${query}`), 400, field);
    });

    it('answers 403 to a key without consent:read', async () => {
      const writer = await createKey(['consent:write']);
      await expectProblem(await gw.api('/v1/consents?phone=%2B16502530001', { key: writer.key }), 403);
    });
  });

  describe('GET /v1/consents/check', () => {
    it('has loaded the ledger into memory (the API role does, once its LISTEN connection is live)', async () => {
      const queries = gw.app.get(ConsentQueryService);
      expect(await eventually(async () => queries.indexStatus.state === 'ready')).toBe(true);
    });

    it('does not allow a person never seen (reason no_consent)', async () => {
      expect(await check({ phone: newPhone(), purpose: 'marketing', channel: 'whatsapp' })).toMatchObject({
        allowed: false,
        status: 'unknown',
        reason: 'no_consent',
      });
    });

    it('allows a person who granted consent', async () => {
      const phone = newPhone();
      await record(event({ phone }));
      expect(await check({ phone, purpose: 'marketing', channel: 'whatsapp' })).toMatchObject({
        allowed: true,
        status: 'granted',
        reason: 'consent_granted',
      });
    });

    it('does not allow a person who withdrew consent', async () => {
      const phone = newPhone();
      await record(event({ phone, status: 'withdrawn' }));
      expect(await check({ phone, purpose: 'marketing', channel: 'whatsapp' })).toMatchObject({
        allowed: false,
        status: 'withdrawn',
        reason: 'consent_withdrawn',
      });
    });

    it('asks about marketing on WhatsApp when purpose and channel are omitted', async () => {
      const phone = newPhone();
      await record(event({ phone }));
      expect((await check({ phone })).allowed).toBe(true);
    });

    it('keeps purposes and channels apart', async () => {
      const phone = newPhone();
      await record(event({ phone, channel: 'email' }));
      expect((await check({ phone, channel: 'email' })).allowed).toBe(true);
      expect(await check({ phone, channel: 'whatsapp' })).toMatchObject({
        allowed: false,
        reason: 'no_consent',
      });
      expect(await check({ phone, channel: 'email', purpose: 'surveys' })).toMatchObject({
        allowed: false,
        reason: 'no_consent',
      });
    });

    it('answers by email and by subject_id too', async () => {
      const { subject_id } = await record(event({ phone: undefined, email: 'checked@example.com' }));
      expect((await check({ email: 'checked@example.com' })).allowed).toBe(true);
      expect((await check({ subject_id })).allowed).toBe(true);
    });

    it.each([
      ['an unknown channel', 'phone=%2B16502530001&channel=pigeon', 'channel'],
      ['an invalid purpose', 'phone=%2B16502530001&purpose=Not%20Valid', 'purpose'],
      ['an invalid phone', 'phone=12', 'phone'],
      ['no identifier', 'purpose=marketing', 'phone'],
    ])('answers 400 to %s, naming the field', async (_name, query, field) => {
      await expectProblem(await gw.api(`/v1/consents/check?${query}`), 400, field);
    });
  });

  describe('conflict rules, as the API shows them', () => {
    it('lets a later withdrawal beat an earlier grant', async () => {
      const phone = newPhone();
      await record(event({ phone, status: 'granted', captured_at: at('10:00') }));
      const withdrawal = await record(event({ phone, status: 'withdrawn', captured_at: at('10:05') }));
      expect(withdrawal.effect).toBe('changed');
      expect(await check({ phone })).toMatchObject({ allowed: false, reason: 'consent_withdrawn' });
    });

    it('lets a later grant beat an earlier withdrawal', async () => {
      const phone = newPhone();
      await record(event({ phone, status: 'withdrawn', captured_at: at('10:00') }));
      await record(event({ phone, status: 'granted', captured_at: at('10:05') }));
      expect((await check({ phone })).allowed).toBe(true);
    });

    it('records an event older than the current state as stale, changing nothing', async () => {
      const phone = newPhone();
      const grant = await record(event({ phone, status: 'granted', captured_at: at('10:05') }));
      const old = await record(event({ phone, status: 'withdrawn', captured_at: at('10:00') }));
      expect(old).toMatchObject({ effect: 'stale', duplicate: false });
      const [row] = await db.query(`SELECT effect, status FROM consent_event WHERE id = $1`, [
        old.ledger_event_id,
      ]);
      expect(row).toEqual({ effect: 'stale', status: 'withdrawn' });
      expect(await check({ phone })).toMatchObject({ allowed: true, reason: 'consent_granted' });
      const states = (await (await gw.api(`/v1/consents?subject_id=${grant.subject_id}`)).json()) as {
        states: { event_id: string }[];
      };
      expect(states.states.map((s) => s.event_id)).toEqual([grant.ledger_event_id]);
    });

    it('calls a repeat of the status in force "confirmed"', async () => {
      const phone = newPhone();
      await record(event({ phone, captured_at: at('10:00') }));
      expect((await record(event({ phone, captured_at: at('10:05') }))).effect).toBe('confirmed');
    });

    it('lets a withdrawal win over a grant captured at the same instant, the grant arriving second', async () => {
      const phone = newPhone();
      await record(event({ phone, status: 'withdrawn', captured_at: at('10:00') }));
      const grant = await record(event({ phone, status: 'granted', captured_at: at('10:00') }));
      expect(grant.effect).toBe('stale');
      expect((await check({ phone })).status).toBe('withdrawn');
    });

    it('lets a withdrawal win over a grant captured at the same instant, the withdrawal arriving second', async () => {
      const phone = newPhone();
      await record(event({ phone, status: 'granted', captured_at: at('10:00') }));
      const withdrawal = await record(event({ phone, status: 'withdrawn', captured_at: at('10:00') }));
      expect(withdrawal.effect).toBe('changed');
      expect((await check({ phone })).status).toBe('withdrawn');
    });

    it('applies a grant only to the scope it names', async () => {
      const phone = newPhone();
      await record(event({ phone, scope: 'number-a' }));
      expect((await check({ phone, scope: 'number-a' })).allowed).toBe(true);
      expect(await check({ phone, scope: 'number-b' })).toMatchObject({
        allowed: false,
        reason: 'no_consent',
      });
    });

    it('applies a withdrawal without a scope to every scope at once', async () => {
      const phone = newPhone();
      await record(event({ phone, scope: 'number-a', captured_at: at('10:00') }));
      await record(event({ phone, scope: 'number-b', captured_at: at('10:00') }));
      await record(event({ phone, status: 'withdrawn', captured_at: at('10:05') }));
      for (const scope of ['number-a', 'number-b', 'number-never-granted']) {
        expect(await check({ phone, scope })).toMatchObject({ allowed: false, reason: 'consent_withdrawn' });
      }
      expect((await check({ phone })).allowed).toBe(false);
    });

    it('applies a withdrawal with a scope to that scope only', async () => {
      const phone = newPhone();
      await record(event({ phone, scope: 'number-a', captured_at: at('10:00') }));
      await record(event({ phone, scope: 'number-b', captured_at: at('10:00') }));
      await record(event({ phone, scope: 'number-a', status: 'withdrawn', captured_at: at('10:05') }));
      expect((await check({ phone, scope: 'number-a' })).allowed).toBe(false);
      expect((await check({ phone, scope: 'number-b' })).allowed).toBe(true);
      // Asked about every number at once, the strictest answer wins.
      expect((await check({ phone })).allowed).toBe(false);
    });

    it('lets a later scoped grant re-allow only its own scope after a withdrawal of every scope', async () => {
      const phone = newPhone();
      await record(event({ phone, status: 'withdrawn', captured_at: at('10:00') }));
      const grant = await record(event({ phone, scope: 'number-a', captured_at: at('10:05') }));
      expect(grant.effect).toBe('changed');
      expect((await check({ phone, scope: 'number-a' })).allowed).toBe(true);
      expect((await check({ phone, scope: 'number-b' })).status).toBe('withdrawn');
    });

    it('records as stale a scoped grant older than a withdrawal of every scope', async () => {
      const phone = newPhone();
      await record(event({ phone, status: 'withdrawn', captured_at: at('10:05') }));
      const grant = await record(event({ phone, scope: 'number-a', captured_at: at('10:00') }));
      expect(grant.effect).toBe('stale');
      expect((await check({ phone, scope: 'number-a' })).status).toBe('withdrawn');
    });

    it('does not let an earlier grant that arrives after a later withdrawal undo it', async () => {
      // The CRM-sync case, through the API: the withdrawal captured at 10:05 is posted first, the grant
      // captured at 10:00 (say, synced late from a CRM) is posted second.
      const phone = newPhone();
      const withdrawal = await record(event({ phone, status: 'withdrawn', captured_at: at('10:05') }));
      const grant = await record(event({ phone, status: 'granted', captured_at: at('10:00') }));
      expect(withdrawal.effect).toBe('changed');
      expect(grant).toMatchObject({ effect: 'stale', duplicate: false });
      expect(await check({ phone, purpose: 'marketing', channel: 'whatsapp' })).toMatchObject({
        allowed: false,
        status: 'withdrawn',
        reason: 'consent_withdrawn',
      });
    });

    it('applies the same rules to the events of one batch, in the order given', async () => {
      const phone = newPhone();
      const res = await postEvents({
        events: [
          event({ phone, status: 'withdrawn', captured_at: at('10:05') }),
          event({ phone, status: 'granted', captured_at: at('10:00') }),
        ],
      });
      expect(res.status).toBe(200);
      const { results } = (await res.json()) as { results: { effect: string }[] };
      expect(results.map((r) => r.effect)).toEqual(['changed', 'stale']);
      expect((await check({ phone })).status).toBe('withdrawn');
    });
  });

  describe('GET /v1/subjects/:id/timeline', () => {
    interface Timeline {
      subject_id: string;
      identities: { kind: string }[];
      events: {
        id: string;
        status: string;
        effect: string;
        scope: string;
        source: string;
        evidence: Record<string, unknown>;
        receipt: { kantara: Record<string, unknown>; iso27560: Record<string, unknown> };
      }[];
    }
    const timeline = async (subjectId: string) => {
      const res = await gw.api(`/v1/subjects/${subjectId}/timeline`);
      expect(res.status).toBe(200);
      return (await res.json()) as Timeline;
    };

    it('answers 404 for a subject never seen', async () => {
      await expectProblem(await gw.api(`/v1/subjects/${randomUUID()}/timeline`), 404);
    });

    it('answers 400 for an id that is not a uuid', async () => {
      await expectProblem(await gw.api('/v1/subjects/not-a-uuid/timeline'), 400);
    });

    it('lists every event, stale ones included, in the order they were captured', async () => {
      const phone = newPhone();
      const late = await record(event({ phone, status: 'withdrawn', captured_at: at('10:05') }));
      const early = await record(event({ phone, status: 'granted', captured_at: at('10:00') }));
      const later = await record(
        event({ phone, status: 'granted', scope: 'number-a', captured_at: at('10:10') }),
      );
      const t = await timeline(late.subject_id);
      expect(t.subject_id).toBe(late.subject_id);
      expect(t.events.map((e) => [e.id, e.status, e.effect])).toEqual([
        [early.ledger_event_id, 'granted', 'stale'],
        [late.ledger_event_id, 'withdrawn', 'changed'],
        [later.ledger_event_id, 'granted', 'changed'],
      ]);
      expect(t.identities.map((i) => i.kind)).toEqual(['phone']);
    });

    it('gives each event its evidence', async () => {
      const body = event({
        method: 'web_form',
        captured_at: at('09:30'),
        legal_basis: 'consent',
        notice_version: 'privacy-notice-v3',
        policy_url: 'https://shop.example/privacy',
        language: 'de',
        evidence: { form_url: 'https://shop.example/signup', checkbox_text: 'Yes, WhatsApp offers' },
      });
      const { subject_id } = await record(body);
      const [e] = (await timeline(subject_id)).events;
      expect(e.source).toBe('api');
      expect(e.evidence).toMatchObject({
        method: 'web_form',
        actor: 'automation',
        captured_at: new Date(at('09:30')).toISOString(),
        received_at: expect.any(String),
        legal_basis: 'consent',
        notice_version: 'privacy-notice-v3',
        policy_url: 'https://shop.example/privacy',
        language: 'de',
        details: { event_id: body.event_id },
        personal: { form_url: 'https://shop.example/signup', checkbox_text: 'Yes, WhatsApp offers' },
      });
      expect(Date.parse(e.evidence.received_at as string)).not.toBeNaN();
    });

    it('gives each event a Kantara v1.1 consent receipt', async () => {
      const body = event({
        notice_version: 'privacy-notice-v3',
        language: 'en',
        policy_url: 'https://shop.example/p',
      });
      const { subject_id, ledger_event_id } = await record(body);
      const [e] = (await timeline(subject_id)).events;
      expect(e.receipt.kantara).toMatchObject({
        version: 'KI-CR-v1.1.0',
        jurisdiction: expect.any(String),
        consentTimestamp: Date.parse(at('10:00')) / 1000,
        collectionMethod: expect.any(String),
        consentReceiptID: ledger_event_id,
        language: 'en',
        piiPrincipalId: subject_id,
        piiControllers: [expect.objectContaining({ piiController: gw.config.controller.name })],
        policyUrl: 'https://shop.example/p',
        services: [
          {
            service: expect.stringContaining('whatsapp'),
            purposes: [
              expect.objectContaining({
                purpose: 'marketing',
                purposeCategory: expect.any(Array),
                consentType: 'EXPLICIT',
                piiCategory: expect.any(Array),
                primaryPurpose: true,
                termination: expect.any(String),
                thirdPartyDisclosure: false,
              }),
            ],
          },
        ],
        sensitive: false,
        spiCat: [],
        consentState: 'granted',
      });
    });

    it('gives each event ISO/IEC 27560 record fields, with the state given or withdrawn', async () => {
      const phone = newPhone();
      const grant = await record(event({ phone, notice_version: 'n-7', captured_at: at('10:00') }));
      const withdrawal = await record(event({ phone, status: 'withdrawn', captured_at: at('10:05') }));
      const events = (await timeline(grant.subject_id)).events;
      expect(events.map((e) => e.receipt.iso27560)).toEqual([
        expect.objectContaining({
          record_id: grant.ledger_event_id,
          pii_principal_id: grant.subject_id,
          purpose: 'marketing',
          lawful_basis: 'consent',
          notice: expect.objectContaining({ version: 'n-7' }),
          withdrawal_method: expect.any(String),
          scope: '*',
          event: expect.objectContaining({
            state: 'given',
            time: new Date(at('10:00')).toISOString(),
            source: 'api',
          }),
        }),
        expect.objectContaining({
          record_id: withdrawal.ledger_event_id,
          event: expect.objectContaining({ state: 'withdrawn', time: new Date(at('10:05')).toISOString() }),
        }),
      ]);
      expect(events[1].receipt.kantara.consentState).toBe('withdrawn');
    });

    it('names the person only by their pseudonymous subject id', async () => {
      const phone = newPhone();
      const { subject_id } = await record(event({ phone, email: 'private.person@example.com' }));
      const text = JSON.stringify(await timeline(subject_id));
      expect(text).not.toContain(phone.slice(1));
      expect(text).not.toContain('private.person');
    });

    it('answers 403 to a key without subjects:read', async () => {
      const { subject_id } = await record(event());
      const reader = await createKey(['consent:read']);
      await expectProblem(await gw.api(`/v1/subjects/${subject_id}/timeline`, { key: reader.key }), 403);
    });
  });
});
