import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { sendProblem, toProblem } from '../../platform/http/problem';
import { WhatsAppIntake } from './whatsapp-intake';

export const WHATSAPP_WEBHOOK_PATH = '/webhooks/whatsapp';

/**
 * POST /webhooks/whatsapp is the intake's hot path, and Nest's per-request pipeline (guard, interceptors,
 * the handler's execution context) measured as a large part of its cost. The route stays
 * WhatsAppController.receive (its OpenAPI operation is declared there); this swaps its handler for one
 * that calls the same WhatsAppIntake directly. Everything before the handler is Fastify's and unchanged
 * (body limit 413, content type 415, JSON parsing 400, raw body, security headers, rate limits); the
 * route is public, so no guard is skipped, and webhooks are not audited. Refusals are the same errors,
 * mapped by the same problem mapping; a store that cannot take the delivery answers 503 + Retry-After.
 *
 * Call before app.init(), when Nest registers its routes.
 */
export function serveWhatsAppIntakeDirectly(app: NestFastifyApplication): void {
  const logger = new Logger('HTTP');
  let services: { intake: WhatsAppIntake } | null = null;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route: RouteOptions) => {
      if (route.url !== WHATSAPP_WEBHOOK_PATH || route.method !== 'POST') return;
      route.handler = function whatsAppIntake(request: FastifyRequest, reply: FastifyReply) {
        services ??= { intake: app.get(WhatsAppIntake, { strict: false }) };
        const raw = (request as FastifyRequest & { rawBody?: Buffer }).rawBody;
        return services.intake.receive(raw, request.headers['x-hub-signature-256'], request.body).then(
          (ack) => reply.send(ack),
          (error: unknown) => {
            const body = toProblem(error);
            const retryAfter = (error as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
            if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
            if (body.status >= 500 && body.status !== 503) {
              logger.error(
                {
                  err:
                    error instanceof Error
                      ? { name: error.name, message: error.message, stack: error.stack }
                      : error,
                },
                'unhandled error',
              );
            }
            sendProblem(reply, body);
            return reply;
          },
        );
      };
    });
}
