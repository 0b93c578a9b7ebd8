import { randomUUID } from 'node:crypto';
import { ROLES, ROLE_SCOPES } from '../../src/modules/auth/roles';
import { SCOPES, type Scope } from '../../src/platform/http/scopes';
import { UserService } from '../../src/modules/auth/user.service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestApp, type TestApp } from '../support/app';
import { type Route, routeTableAtSetup, routesOfTable } from '../support/route-table';
import { printedRouteTable } from '../setup/e2e-global-setup';

/**
 * Who may call what, for EVERY route the running app serves.
 *
 * The routes are not listed by hand: they are read from Fastify's router after an app has started, so a
 * route added later (by a controller, or by a plugin straight on Fastify, or hidden from the OpenAPI
 * document with @ApiExcludeEndpoint like the WhatsApp POST) is checked too. Fastify has no public "list
 * the routes" call once they are registered (the onRoute hook only sees routes added after it), so the
 * radix tree printed by `printRoutes()` is parsed: each line is one node, four columns deeper than its
 * parent, whose full path is its parent's path followed by its own label, then the methods of the routes
 * that end there, e.g.
 *
 *   │   ├── api-keys (POST, GET, HEAD)     → /v1/api-keys
 *   │   │   └── /                          (no route ends at /v1/api-keys/)
 *   │   │       └── :id (DELETE)           → /v1/api-keys/:id
 *
 * (`commonPrefix: false` prints shorter lines but drops the prefix before a wildcard: /docs/* shows as
 * /docs*.) To guard against a change of the format, every line must parse, and every route parsed must be
 * one `fastify.hasRoute()` confirms.
 *
 * Jest collects tests before any hook runs, so the table comes from an app the e2e global setup started
 * (test/setup/e2e-global-setup.ts); the first test checks this file's app serves exactly that table.
 *
 * Each route is then either public (the explicit allow-list below) or has a rule in REQUIRED_SCOPE; a
 * route that is neither fails the test, so a new route cannot ship without someone deciding who may call it.
 */

/** Routes anyone may call: they authenticate the caller another way (a webhook signature) or serve no data. */
const PUBLIC_ROUTES: { route: RegExp; why: string }[] = [
  { route: /^(GET|HEAD) \/webhooks\/whatsapp$/, why: 'Meta verification handshake (verify token)' },
  { route: /^POST \/webhooks\/whatsapp$/, why: 'Meta deliveries (X-Hub-Signature-256)' },
  { route: /^POST \/webhooks\/hubspot$/, why: 'HubSpot deliveries (X-HubSpot-Signature-v3)' },
  {
    route: /^POST \/v1\/processors\/:connectionId\/confirmations$/,
    why: "a processor's erasure confirmation (Standard Webhooks, the connection's own signing secret)",
  },
  {
    route: /^(GET|HEAD) \/v1\/connections\/oauth\/:type\/callback$/,
    why: 'OAuth redirect back from the vendor (signed state)',
  },
  { route: /^(GET|HEAD) \/health(\/live|\/ready)?$/, why: 'liveness and readiness probes' },
  {
    route: /^(GET|HEAD) \/console(\/(?!api\/).*)?$/,
    why: 'the console: static pages and assets only; every datum they show comes from the API',
  },
  {
    route: /^(POST|GET|HEAD|DELETE) \/console\/api\/session$/,
    why: 'console sign-in (password; CSRF token on DELETE)',
  },
  { route: /^(GET|HEAD) \/docs([/-].*)?$/, why: 'the OpenAPI document and Swagger UI' },
];

/**
 * The scope every other route requires, as "METHOD /path" with Fastify's :param syntax. A HEAD route that
 * Fastify derived from a GET (exposeHeadRoutes) runs the GET handler, guard included, so it falls back to
 * the GET rule; it is still requested as HEAD below.
 */
const REQUIRED_SCOPE: Record<string, Scope> = {
  'POST /v1/api-keys': 'keys:admin',
  'GET /v1/api-keys': 'keys:admin',
  'DELETE /v1/api-keys/:id': 'keys:admin',
  'POST /v1/consent-events': 'consent:write',
  'GET /v1/consents': 'consent:read',
  'GET /v1/consents/check': 'consent:read',
  'GET /v1/subjects/:id/timeline': 'subjects:read',
  'POST /v1/inbox/replay': 'inbox:admin',
  'GET /metrics': 'metrics:read',
  'POST /v1/connections': 'connections:admin',
  'GET /v1/connections': 'connections:read',
  'GET /v1/connections/oauth/:type/authorize': 'connections:admin',
  'GET /v1/connections/oauth/providers': 'connections:read',
  'GET /v1/connections/:id': 'connections:read',
  'PATCH /v1/connections/:id': 'connections:admin',
  'DELETE /v1/connections/:id': 'connections:admin',
  'POST /v1/connections/:id/test': 'connections:admin',
  'POST /v1/connections/:id/backfill': 'connections:admin',
  'GET /v1/connections/:id/backfill': 'connections:read',
  'GET /v1/connections/:id/unmatched': 'connections:read',
  'POST /v1/users': 'users:admin',
  'GET /v1/users': 'users:admin',
  'PATCH /v1/users/:id': 'users:admin',
  'POST /v1/users/:id/unlock': 'users:admin',
  'GET /v1/users/:id': 'users:admin',
  'GET /v1/audit/export.csv': 'audit:read',
  'GET /v1/settings/controller': 'overview:read',
  'PUT /v1/settings/controller': 'registry:write',
  'GET /v1/audit': 'audit:read',
  'GET /v1/audit/verify': 'audit:read',
  'POST /v1/audit/verify': 'audit:read',
  'GET /v1/audit/anchor': 'audit:read',
  'GET /v1/deliveries': 'deliveries:read',
  'GET /v1/deliveries/:id': 'deliveries:read',
  'POST /v1/deliveries/:id/retry': 'deliveries:retry',
  'GET /v1/relay/destinations': 'deliveries:read',
  'GET /v1/relay/deliveries': 'deliveries:read',
  'POST /v1/relay/deliveries/:id/replay': 'deliveries:retry',
  'POST /v1/relay/destinations/:key/replay-dead': 'deliveries:retry',
  'GET /v1/overview': 'overview:read',
  'GET /v1/charts/deliveries': 'deliveries:read',
  'GET /v1/charts/consent-changes': 'overview:read',
  'POST /v1/vendors': 'registry:write',
  'GET /v1/vendors': 'registry:read',
  'GET /v1/vendors/:id': 'registry:read',
  'PATCH /v1/vendors/:id': 'registry:write',
  'POST /v1/vendors/:id/sub-processors': 'registry:write',
  'GET /v1/vendors/:id/sub-processors/:subId': 'registry:read',
  'PATCH /v1/vendors/:id/sub-processors/:subId': 'registry:write',
  'DELETE /v1/vendors/:id/sub-processors/:subId': 'registry:write',
  'POST /v1/vendors/:id/dpas': 'registry:write',
  'GET /v1/vendors/:id/dpas': 'registry:read',
  'GET /v1/vendors/:id/evidence-pack': 'registry:read',
  'GET /v1/dpas/:id': 'registry:read',
  'PATCH /v1/dpas/:id': 'registry:write',
  'PUT /v1/dpas/:id/document': 'registry:write',
  'GET /v1/dpas/:id/document': 'registry:read',
  'POST /v1/processing-activities': 'registry:write',
  'GET /v1/processing-activities': 'registry:read',
  'GET /v1/processing-activities/:id': 'registry:read',
  'PATCH /v1/processing-activities/:id': 'registry:write',
  'GET /v1/exports/ropa.csv': 'registry:read',
  'GET /v1/exports/ropa.json': 'registry:read',
  'GET /v1/exports/vendors.csv': 'registry:read',
  'GET /v1/registry/attention': 'registry:read',
  'POST /v1/requests': 'requests:write',
  'GET /v1/requests': 'requests:read',
  'GET /v1/requests/summary': 'requests:read',
  'GET /v1/requests/:id': 'requests:read',
  'GET /v1/requests/:id/export': 'requests:read',
  'POST /v1/requests/:id/verify': 'requests:verify',
  'POST /v1/requests/:id/extend': 'requests:write',
  'POST /v1/requests/:id/pause': 'requests:write',
  'POST /v1/requests/:id/resume': 'requests:write',
  'POST /v1/requests/:id/deny': 'requests:write',
  'POST /v1/requests/:id/cancel': 'requests:write',
  'POST /v1/requests/:id/tasks/:taskId/complete': 'requests:write',
  'POST /v1/event-subscriptions': 'requests:write',
  'GET /v1/event-subscriptions': 'requests:read',
  'DELETE /v1/event-subscriptions/:id': 'requests:write',
  'GET /v1/event-subscriptions/:id/deliveries': 'requests:read',
  'GET /v1/retention/upcoming': 'requests:read',
};

const name = (r: Route) => `${r.method} ${r.path}`;
const isPublic = (r: Route) => PUBLIC_ROUTES.some((p) => p.route.test(name(r)));
const ruleOf = (r: Route): Scope | undefined =>
  REQUIRED_SCOPE[name(r)] ?? (r.method === 'HEAD' ? REQUIRED_SCOPE[`GET ${r.path}`] : undefined);

interface RouteTree {
  printRoutes(options: { commonPrefix: boolean }): string;
  hasRoute(options: { method: string; url: string }): boolean;
}

/** Every method × path of the router (see test/support/route-table.ts for the format), in name order. */
function registeredRoutes(printed: string): { routes: Route[]; unreadable: string[] } {
  const { routes, unreadable } = routesOfTable(printed);
  routes.sort((x, y) => name(x).localeCompare(name(y)));
  return { routes, unreadable };
}

/** A concrete URL for a route: a random uuid for each :param, a plain segment for a wildcard. */
const urlOf = (path: string) => path.replace(/:[A-Za-z_]\w*/g, () => randomUUID()).replace(/\*$/, 'anything');

// Every registered route becomes a row of its own.
describe('who may call each route', () => {
  const printed = routeTableAtSetup();
  const { routes, unreadable } = registeredRoutes(printed);
  const protectedRoutes = routes.filter((r) => !isPublic(r));
  const publicRoutes = routes.filter(isPublic);
  let db: TestDatabase;
  let gw: TestApp;
  let fastify: RouteTree;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
    fastify = gw.app.getHttpAdapter().getInstance();
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  /** Calls a route as a client would: POST bodies as JSON ({}); HEAD, GET and DELETE without a body. */
  const call = (route: Route, url: string, key: string | null) =>
    gw.api(url, { method: route.method, key, ...(route.method === 'POST' ? { json: {} } : {}) });

  const problemCode = async (res: Response) => ((await res.json()) as { code?: string }).code;

  const createKey = async (scopes: readonly Scope[]) => {
    const res = await gw.api('/v1/api-keys', { method: 'POST', json: { name: 'route-auth', scopes } });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string };
  };

  describe('the route table', () => {
    it('is the table of the app under test', () => {
      expect(printedRouteTable(gw.app)).toBe(printed);
    });

    it('reads every line of the router and finds the routes it expects', () => {
      expect(unreadable).toEqual([]);
      expect(routes.map(name)).toEqual(
        expect.arrayContaining([
          'GET /health',
          'POST /webhooks/whatsapp',
          'POST /v1/consent-events',
          'HEAD /metrics',
        ]),
      );
    });

    it('lists only routes Fastify really serves', () => {
      expect(routes.filter((r) => !fastify.hasRoute({ method: r.method, url: r.path })).map(name)).toEqual(
        [],
      );
    });

    it('has a scope rule for every route that is not public', () => {
      expect(protectedRoutes.filter((r) => ruleOf(r) === undefined).map(name)).toEqual([]);
    });

    it('has no rule for a route that does not exist', () => {
      const served = new Set(routes.map(name));
      expect(Object.keys(REQUIRED_SCOPE).filter((r) => !served.has(r))).toEqual([]);
    });

    it('has no public entry that matches no route', () => {
      expect(
        PUBLIC_ROUTES.filter((p) => !routes.some((r) => p.route.test(name(r)))).map((p) => p.why),
      ).toEqual([]);
    });

    it('declares bearer auth in the OpenAPI document exactly on the protected operations', async () => {
      const res = await gw.api('/docs/openapi.json', { key: null });
      expect(res.status).toBe(200);
      const doc = (await res.json()) as {
        paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
      };
      const mismatched: string[] = [];
      for (const [path, operations] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          const route = { method: method.toUpperCase(), path: path.replace(/\{(\w+)\}/g, ':$1') };
          expect(routes.map(name)).toContain(name(route));
          const documented = (operation.security ?? []).some((s) => 'bearer' in s);
          if (documented === isPublic(route)) mismatched.push(name(route));
        }
      }
      expect(mismatched).toEqual([]);
    });
  });

  describe.each(protectedRoutes.map((r) => [name(r), r] as const))('%s', (_name, route) => {
    const scope = ruleOf(route);

    it('answers 401 without an API key', async () => {
      const res = await call(route, urlOf(route.path), null);
      expect(res.status).toBe(401);
      if (route.method !== 'HEAD') expect(await problemCode(res)).toBe('unauthenticated');
    });

    it('answers 401 to a key it never issued', async () => {
      const res = await call(route, urlOf(route.path), `cgk_${randomUUID()}`);
      expect(res.status).toBe(401);
    });

    it('answers 401 to a revoked key, even one holding every scope', async () => {
      const { id, key } = await createKey(SCOPES);
      expect((await gw.api(`/v1/api-keys/${id}`, { method: 'DELETE' })).status).toBe(200);
      expect((await call(route, urlOf(route.path), key)).status).toBe(401);
    });

    it('answers 403 to a key holding every scope but the one it requires', async () => {
      expect(scope).toBeDefined();
      const { key } = await createKey(SCOPES.filter((s) => s !== scope));
      const res = await call(route, urlOf(route.path), key);
      expect(res.status).toBe(403);
      if (route.method !== 'HEAD') expect(await problemCode(res)).toBe('insufficient_scope');
    });

    it('lets a key holding only the scope it requires through', async () => {
      expect(scope).toBeDefined();
      const { key } = await createKey([scope!]);
      const res = await call(route, urlOf(route.path), key);
      // Past the guard the request may still be refused (a {} body, an unknown id), but not for its key.
      expect([401, 403]).not.toContain(res.status);
      expect(res.status).toBeLessThan(500);
    });
  });

  // Console users: each role is a set of scopes; every protected route is tried as every role.
  describe.each(ROLES.map((role) => [role] as const))('signed in as %s', (role) => {
    let session: { cookie: string; csrf: string };

    beforeAll(async () => {
      const email = `${role}@route-auth.test`;
      await gw.app.get(UserService).create({ email, name: role, role, password: 'route-auth-password' });
      const res = await gw.api(`/console/api/session`, {
        key: null,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'route-auth-password' }),
      });
      expect(res.status).toBe(200);
      session = {
        cookie: res.headers.get('set-cookie')!.split(';')[0],
        csrf: ((await res.json()) as { csrf_token: string }).csrf_token,
      };
    });

    it.each(protectedRoutes.filter((r) => r.method !== 'HEAD').map((r) => [name(r), r] as const))(
      '%s is allowed exactly when the role holds its scope',
      async (_name, route) => {
        const scope = ruleOf(route)!;
        const res = await gw.api(urlOf(route.path), {
          key: null,
          method: route.method,
          headers: {
            cookie: session.cookie,
            'x-csrf-token': session.csrf,
            ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}),
          },
          ...(route.method === 'POST' ? { body: '{}' } : {}),
        });
        if (ROLE_SCOPES[role].includes(scope)) {
          expect([401, 403]).not.toContain(res.status);
        } else {
          expect(res.status).toBe(403);
          expect(await problemCode(res)).toBe('insufficient_scope');
        }
      },
    );
  });

  describe.each(publicRoutes.map((r) => [name(r), r] as const))('public %s', (_name, route) => {
    it('asks no API key', async () => {
      const url = urlOf(route.path);
      const res = await call(route, url, null);
      expect(res.status).toBeLessThan(500);
      if (route.method === 'HEAD') {
        // No body to read: the HEAD answers as the GET it mirrors, which is checked on its own row.
        expect(res.status).toBe((await call({ ...route, method: 'GET' }, url, null)).status);
      } else if (res.headers.get('content-type')?.includes('application/problem+json')) {
        expect(['unauthenticated', 'insufficient_scope']).not.toContain(await problemCode(res));
      }
    });
  });
});
