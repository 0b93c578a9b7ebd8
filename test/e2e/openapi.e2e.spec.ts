import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestApp, type TestApp } from '../support/app';

interface MediaType {
  schema?: unknown;
}
interface Operation {
  responses?: Record<string, { content?: Record<string, MediaType> }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/** "GET /v1/x 200" for every success answer (2xx but 204) that names no schema for its body. */
function undescribedSuccesses(doc: OpenApiDocument): string[] {
  const missing: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!METHODS.has(method)) continue;
      const statuses = Object.keys(operation.responses ?? {});
      // 204 (no body) and redirects (302 to a vendor's or the console's page) need no schema.
      if (!statuses.some((s) => /^[23]\d\d$/.test(s))) {
        missing.push(`${method.toUpperCase()} ${path} (no success response)`);
      }
      const successes = Object.entries(operation.responses ?? {}).filter(
        ([status]) => /^2\d\d$/.test(status) && status !== '204',
      );
      for (const [status, response] of successes) {
        const described = Object.values(response.content ?? {}).some((media) => media.schema);
        if (!described) missing.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
  }
  return missing;
}

describe('the OpenAPI document', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
    const res = await gw.api('/docs/openapi.json', { key: null });
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('describes the body of every success answer, not only the requests', () => {
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
    expect(undescribedSuccesses(doc)).toEqual([]);
  });

  it('describes the consent check, served outside Nest, by its controller operation', () => {
    const check = doc.paths['/v1/consents/check']?.get;
    const schema = check?.responses?.['200']?.content?.['application/json']?.schema;
    expect(schema).toEqual({ $ref: '#/components/schemas/ConsentCheckResponse' });
  });

  it('says the metrics are plain text', () => {
    const content = doc.paths['/metrics']?.get?.responses?.['200']?.content ?? {};
    expect(Object.keys(content)).toEqual(['text/plain']);
  });
});
