import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createHttpApp, createWorkerContext } from '../../src/bootstrap';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { signWhatsAppBody } from '../../src/modules/whatsapp/whatsapp-signature';
import type { RuntimeRoles } from '../../src/platform/runtime';

export const TEST_APP_SECRET = 'test-app-secret';
export const TEST_VERIFY_TOKEN = 'test-verify-token';
export const TEST_API_KEY = 'test-bootstrap-key-0123456789';

/** Configuration as a test runs the gateway: fixed secrets, a fresh data dir, quiet logs. */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    PORT: '0',
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'cg-test-data-')),
    WHATSAPP_APP_SECRET: TEST_APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
    BOOTSTRAP_API_KEY: TEST_API_KEY,
    LOG_LEVEL: 'silent',
    // Tests send bursts from 127.0.0.1 (sign-ins per role, a 401 per route): the rate limits are tested on
    // their own (test/e2e/security/edge*.e2e.spec.ts), which turn them back on.
    RATE_LIMIT_ENABLED: 'false',
    ...env,
  });
}

export interface TestApp {
  app: NestFastifyApplication;
  baseUrl: string;
  config: AppConfig;
  close(): Promise<void>;
  /** A request to the app through supertest, with the bootstrap key (pass `key: null` for none). */
  api(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
  postWebhook(
    body: string | Buffer,
    options?: { signature?: string | null; contentType?: string },
  ): Promise<Response>;
}

export async function startTestApp(options: {
  databaseUrl: string;
  config?: AppConfig;
  roles?: RuntimeRoles;
}): Promise<TestApp> {
  const config = options.config ?? testConfig(options.databaseUrl);
  const app = await createHttpApp({
    config,
    databaseUrl: options.databaseUrl,
    roles: options.roles ?? { api: true, worker: true },
  });
  await app.listen(config.port, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    app,
    baseUrl,
    config,
    close: () => app.close(),
    api: (path, init = {}) => {
      const { key = TEST_API_KEY, json, headers, ...rest } = init;
      const h = new Headers(headers);
      if (key !== null) h.set('authorization', `Bearer ${key}`);
      if (json !== undefined) h.set('content-type', 'application/json');
      return requestApp(app, path, {
        ...rest,
        headers: h,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
    postWebhook: (body, opts = {}) => {
      const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
      const signature =
        opts.signature === undefined ? signWhatsAppBody(config.whatsapp.appSecret, body) : opts.signature;
      if (signature !== null) headers['x-hub-signature-256'] = signature;
      return requestApp(app, '/webhooks/whatsapp', { method: 'POST', headers, body });
    },
  };
}

/**
 * Sends one request to the app through supertest (`request(app.getHttpServer())`) and answers it as a
 * fetch Response, so tests read status, headers and body the same way whichever side they call.
 * `redirect: 'manual'` keeps a redirect unanswered, as fetch does; otherwise redirects are followed.
 */
export async function requestApp(
  app: NestFastifyApplication,
  path: string,
  init: {
    method?: string;
    headers?: RequestInit['headers'];
    body?: unknown;
    redirect?: RequestInit['redirect'];
  } = {},
): Promise<Response> {
  const method = (init.method ?? 'GET').toLowerCase() as 'get' | 'head';
  const agent = request(app.getHttpServer());
  let test = agent[method](path)
    .redirects(init.redirect === 'manual' ? 0 : 5)
    .ok(() => true)
    .buffer(true)
    .parse(rawBody as never);
  new Headers(init.headers).forEach((value, name) => {
    test = test.set(name, value);
  });
  // Bodies go out byte for byte (a signed webhook must arrive as signed): superagent would re-encode a
  // Buffer as JSON under a JSON content type.
  if (init.body !== undefined && init.body !== null) {
    test = test.serialize((body: unknown) => body as string).send(requestBody(init.body));
  }
  const res = await test;
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers as Record<string, string | string[]>)) {
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const nullBody = method === 'head' || [101, 204, 205, 304].includes(res.status);
  return new Response(nullBody ? null : (res.body as Buffer), { status: res.status, headers });
}

function requestBody(body: unknown): string | Buffer {
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new Error('requestApp sends string, Buffer, Uint8Array or URLSearchParams bodies');
}

/** Keeps every response body as raw bytes: the Response built from it parses JSON or text on demand. */
function rawBody(res: NodeJS.ReadableStream, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
  res.on('error', (error: Error) => done(error, Buffer.alloc(0)));
}

/** The gateway's modules without HTTP or workers, for medium tests of services against PostgreSQL. */
export async function startTestContext(
  databaseUrl: string,
  config?: AppConfig,
): Promise<INestApplicationContext> {
  return createWorkerContext({
    config: config ?? testConfig(databaseUrl),
    databaseUrl,
    roles: { api: false, worker: false },
  });
}

/** Polls until fn returns a truthy value (the worker runs after the acknowledgement). */
export async function eventually<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `condition not met within ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The JSON body of a response, untyped: tests assert on its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(res: Response): Promise<any> {
  return res.json();
}

/** A port nothing listens on now (for an app whose own URL must be known before it starts: OAuth). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
