import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import type { LogFormat, LogLevel } from '../../config/app-config';
import { scrubbedText } from './personal-data-scrubber';
import { prettyDestination } from './pretty-logs';

/**
 * Paths pino removes from every log line: credentials, signatures, and anything that may carry a phone
 * number, wa_id, email or message body.
 */
const UNLOGGED_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-hubspot-signature-v3"]',
  'req.body',
  'res.headers["set-cookie"]',
  '*.phone',
  '*.email',
  '*.wa_id',
  '*.waId',
  '*.from',
  '*.body',
  '*.text',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.apiKey',
  '*.api_key',
  '*.key',
  '*.secret',
  '*.password',
];

/** Query strings can carry identifiers (?phone=, ?email=); only their parameter names are logged. */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const q = url.indexOf('?');
  if (q < 0) return url;
  const names = url
    .slice(q + 1)
    .split('&')
    .map((pair) => pair.split('=')[0])
    .filter(Boolean);
  return `${url.slice(0, q)}?${names.map((n) => `${n}=[REDACTED]`).join('&')}`;
}

/**
 * The `err` of a log line with its message and stack scrubbed of phones, emails and wamids: errors carry vendors'
 * texts (a HubSpot 400 quoting the phone it refused), which redaction by path cannot see.
 */
export function scrubbedError(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return typeof err === 'string' ? scrubbedText(err, 4000) : err;
  const { message, stack, name } = err as { message?: unknown; stack?: unknown; name?: unknown };
  const copy: Record<string, unknown> = { ...(err as Record<string, unknown>) };
  if (typeof name === 'string' && err instanceof Error) copy.type = name;
  if (typeof message === 'string') copy.message = scrubbedText(message, 4000);
  if (typeof stack === 'string') copy.stack = scrubbedText(stack, 8000);
  return copy;
}

/** Nest's start-up chatter (one line per module and per route): useful when debugging, noise otherwise. */
const STARTUP_CONTEXTS = new Set(['RoutesResolver', 'RouterExplorer', 'InstanceLoader']);

/** Logs Nest's start-up chatter at debug instead of info; every other line keeps its level. */
function startupChatterAtDebug(
  this: { debug: (...args: unknown[]) => void },
  args: unknown[],
  method: (...args: unknown[]) => void,
  level: number,
): void {
  const first = args[0] as { context?: unknown } | null;
  if (level === 30 && typeof first === 'object' && STARTUP_CONTEXTS.has(first?.context as string)) {
    return this.debug(...args);
  }
  return method.apply(this, args);
}

/**
 * Logging parameters. Both formats carry the same redacted events: `json` writes pino's lines to stdout
 * as they are (production: one JSON object a line, for a log collector); `pretty` writes them as one
 * human-readable line an event (development). Redaction happens before either.
 */
export function loggerParams(options: { level: LogLevel; format: LogFormat }): Params {
  const { level, format } = options;
  const pinoOptions = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    hooks: { logMethod: startupChatterAtDebug },
    // Probes and scrapes every few seconds would drown the access log.
    autoLogging: { ignore: (req: IncomingMessage) => UNLOGGED_PATHS.has(req.url ?? '') },
    serializers: {
      err: scrubbedError,
      req: (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.remoteAddress,
      }),
    },
  };
  return {
    // The "may I message?" check runs before every send; per-request logging would cost it more than the
    // answer itself. It is counted in cg_consent_checks_total instead.
    exclude: [{ method: RequestMethod.GET, path: 'v1/consents/check' }],
    pinoHttp: format === 'pretty' && level !== 'silent' ? [pinoOptions, prettyDestination()] : pinoOptions,
  };
}
