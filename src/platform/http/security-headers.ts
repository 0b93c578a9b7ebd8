import type { FastifyInstance } from 'fastify';

/**
 * Response headers every route carries, errors and 404s included. They are written on the Node.js
 * response in an onRequest hook (before anything can fail), so a handler that sets its own value with
 * reply.header() (the console's CSP, the access-export page's CSP, a cacheable asset) wins: Node merges
 * headers set with setHeader() under those of writeHead().
 */

/**
 * The API answers JSON only: nothing it returns may run script, be framed, or be sniffed into HTML. The set is
 * OWASP's for REST services and kept short on purpose: these headers go out with every consent check, and each one
 * costs the hot path (measured with the consent-check bench). The pages that render HTML (the console, the access
 * export, /docs) carry the document headers (Referrer-Policy, COOP, CORP) as well.
 */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * Swagger UI (/docs): its scripts are files on this origin (swagger-ui-init.js included), but its page has
 * an inline <style> block and the UI renders inline style attributes, its icons are data: URIs, and
 * "Try it out" calls the API on this origin.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

const COMMON: ReadonlyArray<readonly [string, string]> = [
  ['x-content-type-options', 'nosniff'],
  // Legacy twin of frame-ancestors, for browsers and proxies that read only this one.
  ['x-frame-options', 'DENY'],
];

/** What an HTML document needs beyond the API's set (/docs is the one document among these routes). */
const DOCUMENT: ReadonlyArray<readonly [string, string]> = [
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-origin'],
];

export interface SecurityHeaderOptions {
  /** PUBLIC_BASE_URL is https: browsers are told to use https only (HSTS). */
  https: boolean;
}

/**
 * The headers for a request path. Everything but /docs and the console's static files may carry personal
 * data (API answers, exports, session), so it must not be stored by a browser or a shared cache; the
 * console's static handler sets its own no-cache, Swagger UI's assets may be cached.
 */
export function securityHeadersFor(
  path: string,
  options: SecurityHeaderOptions,
): ReadonlyArray<readonly [string, string]> {
  const docs = isDocsPath(path);
  const headers: (readonly [string, string])[] = [
    ...COMMON,
    ...(docs ? DOCUMENT : []),
    ['content-security-policy', docs ? DOCS_CSP : API_CSP],
  ];
  if (!docs) headers.push(['cache-control', 'no-store']);
  // One year, this host only: the operator's other subdomains are not ours to pin to https.
  if (options.https) headers.push(['strict-transport-security', 'max-age=31536000']);
  return headers;
}

/** Installs the headers on every response of the instance; call before any route is registered. */
export function installSecurityHeaders(fastify: FastifyInstance, options: SecurityHeaderOptions): void {
  const apiHeaders = securityHeadersFor('/v1', options);
  const docsHeaders = securityHeadersFor('/docs', options);
  fastify.addHook('onRequest', (request, reply, done) => {
    const headers = isDocsPath(request.url) ? docsHeaders : apiHeaders;
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  });
}

/** /docs, /docs/… and /docs?… (a URL with its query string). */
function isDocsPath(url: string): boolean {
  return url.startsWith('/docs') && (url.length === 5 || url[5] === '/' || url[5] === '?');
}
