import { randomUUID } from 'node:crypto';

/** The parts of an OpenAPI 3 document this reads. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Schema> };
}
interface OpenApiOperation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  minimum?: number;
  required?: string[];
}

/** A documented body: the required fields with plausible values, and every field the schema names. */
export interface ExampleBody {
  body: Record<string, unknown>;
  fields: string[];
}

/**
 * A plausible JSON body for every operation that documents one, keyed "POST /v1/vendors" (Fastify's :param
 * syntax): each required property filled with its example, first enum value or a value of its type and
 * format. A fuzzer mutating one field of such a body gets past "unknown field" and "required" checks into
 * the validation and the handler behind them.
 */
export function exampleBodies(doc: OpenApiDocument): Map<string, ExampleBody> {
  const bodies = new Map<string, ExampleBody>();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      if (!schema) continue;
      const body = exampleOf(doc, schema, 0, '');
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
        bodies.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, {
          body: body as Record<string, unknown>,
          fields: Object.keys(resolve(doc, schema).properties ?? {}),
        });
      }
    }
  }
  return bodies;
}

/** Every property name and query parameter the document names. */
export function documentedNames(doc: OpenApiDocument): { fieldNames: string[]; queryNames: string[] } {
  const fields = new Set<string>();
  for (const schema of Object.values(doc.components?.schemas ?? {})) {
    for (const name of Object.keys(schema.properties ?? {})) fields.add(name);
  }
  const queries = new Set<string>();
  for (const operations of Object.values(doc.paths)) {
    for (const operation of Object.values(operations)) {
      for (const p of operation.parameters ?? []) if (p.in === 'query') queries.add(p.name);
    }
  }
  return { fieldNames: [...fields], queryNames: [...queries] };
}

function exampleOf(doc: OpenApiDocument, schema: Schema, depth: number, name: string): unknown {
  if (schema.$ref) {
    const target = doc.components?.schemas?.[schema.$ref.split('/').pop() as string];
    return target && depth < 6 ? exampleOf(doc, target, depth + 1, name) : {};
  }
  // A batch endpoint documents one item or a batch: the last alternative is the richer one.
  const alternatives = schema.allOf ?? schema.oneOf ?? schema.anyOf;
  if (alternatives?.length) return exampleOf(doc, alternatives[alternatives.length - 1], depth + 1, name);
  if (schema.example !== undefined) return schema.example;
  const byName = valueForName(name, schema);
  if (byName !== undefined) return byName;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  switch (schema.type ?? 'object') {
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return schema.items ? [exampleOf(doc, schema.items, depth + 1, name)] : [];
    case 'string':
      return stringOf(schema.format);
    default: {
      // A property documented as a bare object is a nullable string or free-form JSON: null fits most.
      if (!schema.properties) return null;
      // Required fields only: optional ones are often exclusive (one of phone, email or subject_id).
      const out: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(schema.properties)) {
        if (schema.required?.includes(name)) out[name] = exampleOf(doc, property, depth + 1, name);
      }
      return out;
    }
  }
}

/** The object schema behind references and alternatives (the last alternative, as exampleOf picks). */
function resolve(doc: OpenApiDocument, schema: Schema, depth = 0): Schema {
  if (depth > 6) return schema;
  if (schema.$ref) {
    const target = doc.components?.schemas?.[schema.$ref.split('/').pop() as string];
    return target ? resolve(doc, target, depth + 1) : schema;
  }
  const alternatives = schema.allOf ?? schema.oneOf ?? schema.anyOf;
  return alternatives?.length ? resolve(doc, alternatives[alternatives.length - 1], depth + 1) : schema;
}

/** What a field's name says it holds, when its schema has no example (ids, emails, phones, URLs). */
function valueForName(name: string, schema: Schema): unknown {
  // Only plain values: an object with documented properties is built from them.
  if (schema.properties || (schema.type && schema.type !== 'string' && schema.type !== 'object'))
    return undefined;
  if (/email/.test(name)) return 'someone@example.com';
  if (/phone/.test(name)) return '+4915123456789';
  if (/(^|_)ids?$/.test(name) && name !== 'event_id') return randomUUID();
  if (/url|website/.test(name)) return 'https://example.com/';
  if (/password|secret|token/.test(name)) return 'an-example-secret-0123456789';
  return undefined;
}

function stringOf(format: string | undefined): string {
  switch (format ?? '') {
    case 'uuid':
      return randomUUID();
    case 'date':
      return '2026-03-01';
    case 'date-time':
      return '2026-03-01T10:00:00Z';
    case 'email':
      return 'someone@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    default:
      return 'example';
  }
}
