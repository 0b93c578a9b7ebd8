import pretty from 'pino-pretty';
import type { DestinationStream } from 'pino';

interface LogEvent {
  context?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  [key: string]: unknown;
}

/** `[Context] GET /v1/consents 200 4 ms message`: the request and the Nest context lead, the rest follows. */
export function prettyMessage(event: LogEvent, messageKey: string): string {
  const parts: string[] = [];
  if (event.context) parts.push(`[${event.context}]`);
  if (event.req?.method) parts.push(`${event.req.method} ${event.req.url ?? ''}`);
  if (event.res?.statusCode) parts.push(String(event.res.statusCode));
  if (typeof event.responseTime === 'number') parts.push(`${event.responseTime} ms`);
  const message = event[messageKey];
  if (typeof message === 'string' && message) parts.push(message);
  return parts.join(' ');
}

let destination: DestinationStream | null = null;

/**
 * One stream for the whole process (test suites build many applications), formatting in-process and
 * writing synchronously, so that the last lines before an exit are never lost. Development only: the
 * production path writes pino's JSON untouched.
 */
export function prettyDestination(): DestinationStream {
  destination ??= pretty({
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,req,res,responseTime',
    messageFormat: (event, messageKey) => prettyMessage(event, messageKey),
  });
  return destination;
}
