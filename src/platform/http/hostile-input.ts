import type { FastifyInstance } from 'fastify';
import { type FieldProblem, RequestValidationError, sendProblem, toProblem } from './problem';

/**
 * Input no handler can be trusted to survive, refused once for every route before validation runs:
 *
 * - a NUL character (U+0000) in any string or object key of the JSON body, the query or a path parameter:
 *   PostgreSQL refuses 0x00 in text and jsonb, which would surface as a 500 deep in a module;
 * - JSON nested deeper than MAX_JSON_DEPTH: class-transformer recurses into every nested object and a few
 *   thousand levels overflow the stack (JSON.parse itself copes).
 */
export const MAX_JSON_DEPTH = 32;

/** A key shown in a field path only when it cannot be a value (a phone or an email used as a key). */
const SHOWABLE_KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

interface Pending {
  value: unknown;
  depth: number;
  parent: Pending | null;
  key: string;
}

/**
 * The first problem in a parsed JSON value, or null. Iterative (an explicit stack), so a deep value cannot
 * overflow this walk either. `checkStrings` false skips the per-string NUL search (the raw body said none).
 */
export function findHostileJson(root: unknown, checkStrings = true): FieldProblem | null {
  const stack: Pending[] = [{ value: root, depth: 0, parent: null, key: '' }];
  while (stack.length) {
    const node = stack.pop() as Pending;
    const value = node.value;
    if (typeof value === 'string') {
      if (checkStrings && value.includes('\0')) return { field: pathOf(node), message: NUL_MESSAGE };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (node.depth >= MAX_JSON_DEPTH) {
      return { field: pathOf(node), message: `is nested deeper than ${MAX_JSON_DEPTH} levels` };
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], depth: node.depth + 1, parent: node, key: String(i) });
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      const child: Pending = {
        value: (value as Record<string, unknown>)[key],
        depth: node.depth + 1,
        parent: node,
        key,
      };
      if (checkStrings && key.includes('\0')) return { field: pathOf(child), message: NUL_MESSAGE };
      stack.push(child);
    }
  }
  return null;
}

const NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';

function pathOf(node: Pending): string {
  const parts: string[] = [];
  for (let n: Pending | null = node; n; n = n.parent) {
    if (n.key === '') continue;
    parts.push(n.parent === null || /^\d+$/.test(n.key) || SHOWABLE_KEY.test(n.key) ? n.key : '*');
  }
  return parts.reverse().join('.') || 'body';
}

/** A body the JSON parser produced (not a stream handed over as is, like a DPA document's). */
function isParsedJson(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const prototype: unknown = Object.getPrototypeOf(body);
  return prototype === Object.prototype || prototype === Array.prototype || prototype === null;
}

/** A NUL can only reach a JSON string as the escape \u0000 (raw control characters are invalid JSON). */
const ESCAPED_NUL = Buffer.from('\\u0000');

/**
 * Webhook bodies (/webhooks/*) are not inspected: they are verified over their raw bytes and stored sealed
 * as received, and parsed only after the acknowledgement; refusing one would make Meta or HubSpot retry it
 * for days. Their query and path are still checked.
 */
const RAW_BODY_ROUTES = '/webhooks/';

/** Installs the check as a preValidation hook of every route: after the body is parsed, before any handler. */
export function installHostileInputCheck(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, reply, done) => {
    const raw = (request as { rawBody?: unknown }).rawBody;
    const body = request.routeOptions.url?.startsWith(RAW_BODY_ROUTES) ? undefined : request.body;
    const problem =
      findHostileJson(request.params) ??
      findHostileJson(request.query) ??
      (isParsedJson(body) || typeof body === 'string'
        ? findHostileJson(body, !Buffer.isBuffer(raw) || raw.includes(ESCAPED_NUL))
        : null);
    if (!problem) return done();
    sendProblem(
      reply,
      toProblem(
        new RequestValidationError(`Invalid request: ${problem.field} ${problem.message}`, [problem]),
      ),
    );
  });
}
