import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request the target received, as the business's integration would see it. */
export interface RelayedRequest {
  body: Buffer;
  headers: IncomingHttpHeaders;
  /** Whether X-Hub-Signature-256 verified with the app secret (as Meta's own deliveries do). */
  signatureValid: boolean;
  /** What the target answered. */
  status: number;
}

export type TargetMode = 'up' | 'unavailable' | 'refusing';

/**
 * The business's own WhatsApp integration, as the relay reaches it: it verifies Meta's signature with the app
 * secret (its own HMAC, not the gateway's code), answers 200, 503 (`unavailable`) or is not listening at all
 * (`refusing`: connection refused), and records everything it received in order.
 */
export class RelayTarget {
  readonly received: RelayedRequest[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private mode: TargetMode = 'up';
  port = 0;

  /** `delayMs`: how long it takes to answer (so that a sender can be killed while a request is in flight). */
  constructor(
    private readonly appSecret: string,
    private readonly delayMs = 0,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/whatsapp`;
  }

  /** Requests it answered 2xx, in the order answered. */
  get accepted(): RelayedRequest[] {
    return this.received.filter((r) => r.status === 200);
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const status = this.mode === 'up' ? 200 : 503;
        this.received.push({
          body,
          headers: req.headers,
          signatureValid: this.verify(req.headers, body),
          status,
        });
        const answer = () =>
          res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try later');
        if (this.delayMs) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Switches how it answers; `refusing` stops listening (connection refused), leaving it restarts on the same port. */
  async set(mode: TargetMode): Promise<void> {
    if (mode === 'refusing' && this.server) await this.stop();
    if (mode !== 'refusing' && !this.server) await this.start(this.port);
    this.mode = mode;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private verify(headers: IncomingHttpHeaders, body: Buffer): boolean {
    const header = headers['x-hub-signature-256'];
    if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
    const expected = Buffer.from(createHmac('sha256', this.appSecret).update(body).digest('hex'));
    const given = Buffer.from(header.slice('sha256='.length));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** SHA-256 hex of a body: the delivery id the gateway gives it. */
export function deliveryIdOf(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}
