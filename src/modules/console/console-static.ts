import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendProblem, toProblem, NotFoundError } from '../../platform/http/problem';

/** The console's static files: console/ at the project root, from src/modules/console and dist/modules/console. */
export const CONSOLE_ROOT = join(__dirname, '../../../console');

/**
 * The console's pages run no inline script and load nothing from elsewhere; every datum they show comes
 * from the JSON API on this origin. No framing (clickjacking), no referrer (console URLs carry ids).
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
};

/** A path under /console/ that names a file (has an extension) is an asset, never a page of the app. */
const ASSET = /\/[^/]+\.[A-Za-z0-9]+$/;

/**
 * Serves the console: every file of console/ at its path under /console/, and index.html for any other
 * /console path (the app routes with the History API). /console/api/* belongs to the session API; an
 * unknown path there is a 404 problem, not a page.
 */
@Injectable()
export class ConsoleStatic implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    // A worker context has no HTTP adapter.
    if (!adapter || !existsSync(CONSOLE_ROOT)) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    void fastify.register(async (scope) => {
      await scope.register(fastifyStatic, {
        root: CONSOLE_ROOT,
        prefix: '/console/',
        wildcard: false,
        index: false,
        serveDotFiles: false,
        setHeaders: (reply) => {
          void reply.headers({ ...CONSOLE_HEADERS, 'cache-control': 'no-cache' });
        },
      });
      const page = (path: string, reply: FastifyReply) => {
        if (path.startsWith('/console/api/') || ASSET.test(path)) {
          sendProblem(reply, toProblem(new NotFoundError(`Nothing at ${path}`)));
          return reply;
        }
        return reply
          .headers({ ...CONSOLE_HEADERS, 'cache-control': 'no-cache' })
          .sendFile('index.html', CONSOLE_ROOT);
      };
      scope.get('/console', (request, reply) => page(request.url.split('?')[0], reply));
      scope.get('/console/*', (request, reply) => page(request.url.split('?')[0], reply));
    });
  }
}
