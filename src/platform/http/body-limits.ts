import type { AppConfig } from '../../config/app-config';

/** A sign-in body is an email and a password: kilobytes. */
export const SIGNIN_BODY_LIMIT = 8 * 1024;

/**
 * The body limit of a route, enforced by Fastify while it reads the body: before the body is parsed and
 * before any guard runs, so an unauthenticated caller cannot make the gateway buffer megabytes. Webhooks
 * take what Meta sends (3 MB), the batch API (up to 1000 events) the API limit, sign-in a few kilobytes,
 * and every other JSON route JSON_BODY_LIMIT. The DPA document upload is streamed and limited by DpaService.
 */
export function bodyLimitFor(method: string | string[], url: string, config: AppConfig): number {
  const methods = Array.isArray(method) ? method : [method];
  if (url.startsWith('/webhooks/')) return config.webhookBodyLimit;
  if (url === '/v1/consent-events' || url === '/v1/dpas/:id/document') return config.apiBodyLimit;
  if (url === '/console/api/session' && methods.includes('POST')) return SIGNIN_BODY_LIMIT;
  return config.http.jsonBodyLimit;
}
