import { createServer, type Server } from 'node:http';
import { DATABASE_RETRY_AFTER_SECONDS } from '../database/database-unavailable';
import { processGuardHits } from '../process/process-guard';

const NOT_READY = {
  type: 'https://consent-gateway.dev/problems/database_unavailable',
  title: 'Service Unavailable',
  status: 503,
  code: 'database_unavailable',
  detail:
    'The gateway is starting and waits for its database; nothing was stored. Try again after Retry-After seconds.',
};

/**
 * What answers on the HTTP port while the gateway waits for a database that was unreachable at start: the
 * process is live (`/health/live` 200), not ready (`/health`, `/health/ready` 503), and every other request is
 * refused with 503 and Retry-After, so webhook senders retry instead of seeing a closed port. It hands the
 * port over to the application once the database answers and the migrations ran (bootstrap.ts).
 */
export class StandbyServer {
  private readonly server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0].replace(/\/+$/, '');
    const live = path === '/health/live';
    const body = live ? { status: 'ok', ready: false, process_guard_hits: processGuardHits() } : NOT_READY;
    response.writeHead(live ? 200 : 503, {
      'content-type': live ? 'application/json; charset=utf-8' : 'application/problem+json; charset=utf-8',
      ...(live ? {} : { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) }),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Each request is answered and the connection closed, so the hand-over leaves no client on this server.
      connection: 'close',
    });
    response.end(request.method === 'HEAD' ? undefined : JSON.stringify(body));
  });

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.removeListener('error', reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
