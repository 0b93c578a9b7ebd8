import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { requestApp, startTestApp, TEST_API_KEY, type TestApp } from '../../support/app';
import {
  documentedNames,
  exampleBodies,
  type ExampleBody,
  type OpenApiDocument,
} from '../../support/openapi-bodies';
import { type Route, routesOfTable, routeTableAtSetup } from '../../support/route-table';

/**
 * Property-based fuzzing of EVERY route the app serves (read from Fastify's router, so a route added later
 * is fuzzed too), with random and hostile path parameters, queries, bodies, headers and cookies, without
 * credentials, with a wrong one and with the admin key. For every request:
 *
 * - the answer is never a 5xx;
 * - an answer 4xx stored nothing: the row count of every table is what it was before the request (the
 *   audit log excepted: a refused call that got past authentication is recorded there, on purpose);
 * - and, at the end, the process still answers.
 *
 * A failure prints the request fast-check shrank it to, and its seed (replay with `seed` and `path`).
 */

const routes = routesOfTable(routeTableAtSetup()).routes;

/** Strings an attacker tries in any text field. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '%',
  '%ZZ',
  '%00',
  '%E0%A4%A',
  '../../etc/passwd',
  '..%2f..%2f',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '{{7*7}}',
  '${jndi:ldap://x}',
  '=HYPERLINK("http://x")',
  '\ud800',
  '😀'.repeat(50),
  'x'.repeat(5000),
  '2026-02-30',
  '2026-13-01',
  '9999-12-31T23:59:59Z',
  '0000-00-00',
  '-1',
  '1e309',
  'NaN',
  'true',
  'null',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '+4915123456789',
  'dpo@example.com',
  randomUUID(),
  'http://169.254.169.254/latest/meta-data/',
  'https://[::ffff:7f00:1]:3000/',
  'javascript:alert(1)',
];

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uuid() },
);

/** Any JSON value, with hostile leaves and, sometimes, nesting far past any sane depth. */
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 3, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, true, false, null, [], {}),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 30, max: 3000 }).map((levels) => {
      let value: unknown = 'deep';
      for (let i = 0; i < levels; i++) value = { a: value };
      return value;
    }),
  },
);

const PAD_HEADER = 'x-fuzz';

interface FuzzRequest {
  route: Route;
  params: string[];
  query: [string, string][];
  credential: 'admin' | 'none' | 'wrong' | 'malformed';
  headers: [string, string][];
  cookie: string | null;
  body:
    | { kind: 'none' }
    | { kind: 'json'; value: unknown }
    /** The route's documented body with the field at `at` set to `value` (or removed). */
    | { kind: 'mutated'; at: [number]; value: unknown; omit: boolean }
    | { kind: 'raw'; type: string; text: string };
}

/** The documented body with one of its fields (required or optional) set to a hostile value, or removed. */
function mutate(example: ExampleBody | undefined, body: FuzzRequest['body'] & { kind: 'mutated' }) {
  const copy = structuredClone<Record<string, unknown>>(example?.body ?? {});
  const fields = example?.fields.length ? example.fields : [String(body.at[0])];
  const field = fields[body.at[0] % fields.length];
  if (body.omit) delete copy[field];
  else copy[field] = body.value;
  return copy;
}

/** A header value the HTTP client can send: visible ASCII (a control character is refused before sending). */
const headerValue = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS.filter((s) => /^[\x20-\x7e]*$/.test(s) && s.length < 1000)),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
);

describe('fuzzing every route', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let counter: Client;
  let countSql: string;
  /** Field names the API documents, so that random bodies reach validation past "unknown field". */
  let fieldNames: string[] = [];
  let queryNames: string[] = [];
  /** A documented body per operation, to mutate one field at a time. */
  let examples = new Map<string, ExampleBody>();

  beforeAll(async () => {
    db = await createTestDatabase();
    // No worker: nothing changes the tables but the requests themselves.
    gw = await startTestApp({ databaseUrl: db.url, roles: { api: true, worker: false } });
    counter = new Client({ connectionString: db.url });
    await counter.connect();
    const tables = (
      await counter.query<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'
           AND tablename NOT LIKE 'audit%' AND tablename <> 'migrations' ORDER BY 1`,
      )
    ).rows.map((r) => r.name);
    countSql = tables.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM "${t}"`).join(' UNION ALL ');
    const doc = (await (await gw.api('/docs/openapi.json', { key: null })).json()) as OpenApiDocument;
    ({ fieldNames, queryNames } = documentedNames(doc));
    queryNames.push('hub.mode', 'hub.verify_token', 'hub.challenge', 'code', 'state', 'error');
    examples = exampleBodies(doc);
  });

  afterAll(async () => {
    await counter?.end();
    await gw?.close();
    await db?.drop();
  });

  const rowCounts = async () =>
    Object.fromEntries((await counter.query<{ t: string; n: number }>(countSql)).rows.map((r) => [r.t, r.n]));

  const fuzzRequest = (): fc.Arbitrary<FuzzRequest> => {
    const name = fc.oneof(fc.constantFrom(...fieldNames), fc.constantFrom(...HOSTILE_STRINGS.slice(0, 12)));
    return fc.record({
      route: fc.constantFrom(...routes),
      params: fc.array(
        fc.oneof(fc.uuid(), hostileString.map(encode), fc.constantFrom('%ZZ', '%00', '%', 'x'.repeat(150))),
        { minLength: 3, maxLength: 3 },
      ),
      query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...queryNames), hostileString), hostileString), {
        maxLength: 4,
      }),
      credential: fc.constantFrom('admin', 'admin', 'none', 'wrong', 'malformed'),
      headers: fc.array(
        fc.tuple(
          fc.constantFrom(
            'x-hub-signature-256',
            'x-hubspot-signature-v3',
            'x-hubspot-request-timestamp',
            'webhook-id',
            'webhook-timestamp',
            'webhook-signature',
            'x-csrf-token',
            'x-forwarded-for',
            'accept',
            'user-agent',
            'origin',
            PAD_HEADER,
          ),
          headerValue,
        ),
        { maxLength: 4 },
      ),
      cookie: fc.option(
        fc.oneof(
          headerValue.map((v) => `cg_session=${v}`),
          fc.constantFrom('cg_session=%E0%A4%A', 'cg_session=%', 'cg_session=', 'a=b; cg_session=%ZZ%00'),
        ),
      ),
      body: fc.oneof(
        { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
        {
          weight: 5,
          arbitrary: fc.record({
            kind: fc.constant('mutated' as const),
            at: fc.tuple(fc.nat(50)),
            value: hostileJson,
            omit: fc.nat(5).map((n) => n === 0),
          }),
        },
        {
          weight: 3,
          arbitrary: fc
            .oneof(
              { weight: 3, arbitrary: fc.dictionary(name, hostileJson, { maxKeys: 6 }) },
              { weight: 1, arbitrary: hostileJson },
            )
            .map((value) => ({ kind: 'json' as const, value })),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('raw' as const),
            type: fc.constantFrom(
              'application/json',
              'application/json; charset=latin1',
              'text/plain',
              'application/x-www-form-urlencoded',
              'multipart/form-data; boundary=x',
              'application/pdf',
              'application/xml',
            ),
            text: fc.oneof(
              fc.constantFrom(
                '{',
                '{"a":',
                'null',
                '"\\u0000"',
                '{"__proto__":{"x":1}}',
                '{"constructor":{"prototype":{}}}',
                '[1,2',
                '\u0000',
                '%PDF-1.7',
              ),
              fc.string({ maxLength: 200 }),
            ),
          }),
        },
      ),
    });
  };

  const send = (req: FuzzRequest) => {
    let i = 0;
    const path = req.route.path
      .replace(/:[A-Za-z_]\w*/g, () => req.params[i++ % req.params.length])
      .replace(/\*$/, () => req.params[2]);
    const query = req.query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
    const headers: Record<string, string> = {};
    for (const [name, value] of req.headers) headers[name] = value;
    if (req.credential === 'admin') headers.authorization = `Bearer ${TEST_API_KEY}`;
    if (req.credential === 'wrong') headers.authorization = `Bearer cgk_${randomUUID()}`;
    if (req.credential === 'malformed') headers.authorization = 'Bearer';
    if (req.cookie !== null) headers.cookie = req.cookie;
    let body: string | undefined;
    if (req.route.method !== 'GET' && req.route.method !== 'HEAD' && req.body.kind !== 'none') {
      if (req.body.kind === 'json' || req.body.kind === 'mutated') {
        headers['content-type'] = 'application/json';
        const value =
          req.body.kind === 'json'
            ? req.body.value
            : mutate(examples.get(`${req.route.method} ${req.route.path}`), req.body);
        body = JSON.stringify(value) ?? 'null';
      } else {
        headers['content-type'] = req.body.type;
        body = req.body.text;
      }
    }
    return requestApp(gw.app, query ? `${path}?${query}` : path, { method: req.route.method, headers, body });
  };

  /** What a failure prints: the request as sent, without the admin key. */
  const describeRequest = (req: FuzzRequest, status: number) =>
    `${status} for ${req.route.method} ${req.route.path} ${JSON.stringify({ ...req, route: undefined }).slice(0, 2000)}`;

  /** One request: never a 5xx; a 4xx leaves every row count as it was. */
  const requestIsHandled = async (req: FuzzRequest) => {
    const before = await rowCounts();
    const res = await send(req);
    if (res.status >= 500) throw new Error(describeRequest(req, res.status));
    if (res.status >= 400) {
      const after = await rowCounts();
      const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
      if (changed.length)
        throw new Error(`${describeRequest(req, res.status)} changed ${changed.join(', ')}`);
    }
  };

  it('reads a route table with every route the gateway serves', () => {
    expect(routes.length).toBeGreaterThan(50);
    expect(fieldNames.length).toBeGreaterThan(20);
  });

  // FUZZ_SEED replays a run; FUZZ_RUNS sizes it (about 15 ms a request).
  it('never answers 5xx and stores nothing from a refused request, on any route', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now());
    await fc.assert(fc.asyncProperty(fuzzRequest(), requestIsHandled), {
      numRuns: Number(process.env.FUZZ_RUNS ?? 2500),
      seed,
      // The shrunk request in a line (fast-check's own report would print a 3,000-level body in full).
      asyncReporter: (details) => {
        if (!details.failed) return Promise.resolve();
        const cause = details.errorInstance instanceof Error ? details.errorInstance.message : 'unknown';
        return Promise.reject(new Error(`FUZZ_SEED=${seed} (after ${details.numRuns} requests): ${cause}`));
      },
    });
  }, 150_000);

  it('still answers after the fuzzing', async () => {
    expect((await gw.api('/health', { key: null })).status).toBeLessThan(500);
    expect((await gw.api('/v1/vendors')).status).toBe(200);
  });
});

/** Percent-encodes any string, lone surrogates included (encodeURIComponent throws on those). */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...Buffer.from(value)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
}
