import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { DATABASE_URL } from './database.tokens';
import { Notifications } from './notifications';

type Handler = (payload: string) => void;

/** Reconnection waits: doubled after every failed attempt, from the first to the longest. */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_LONGEST_MS = 2_000;

/**
 * One LISTEN connection per process, shared by every channel (the ledger's consent changes, the inbox's and
 * propagation's wake-ups). While it is down, `live` is false and readers must not trust anything cached
 * from notifications. It reconnects by itself (backing off while the database is away), LISTENs on every
 * channel again, and then calls the `onRestored` handlers, which reload what notifications were missed.
 */
@Injectable()
export class NotificationListener implements OnModuleDestroy {
  private readonly logger = new Logger(NotificationListener.name);
  private client: Client | null = null;
  private readonly handlers = new Map<string, Handler[]>();
  private readonly lostHandlers: (() => void)[] = [];
  private readonly restoredHandlers: (() => void)[] = [];
  private stopped = false;
  private wasLost = false;
  private retryDelayMs = RECONNECT_FIRST_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private connecting: Promise<void> | null = null;
  live = false;

  constructor(
    @Inject(DATABASE_URL) private readonly url: string,
    private readonly notifications: Notifications,
  ) {}

  on(channel: string, handler: Handler): void {
    const known = this.handlers.has(channel);
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
    if (!known && this.client) {
      this.notifications.listen(this.client, channel).catch((error: Error) => {
        this.logger.warn({ err: { message: error.message } }, 'LISTEN failed; reconnecting');
        if (this.client) this.drop(this.client);
      });
    }
    void this.ensure();
  }

  /** Called whenever the connection drops (notifications may have been missed). */
  onLost(handler: () => void): void {
    this.lostHandlers.push(handler);
  }

  /**
   * Called each time the connection is back after a loss, once it LISTENs again: whatever was notified
   * meanwhile was missed, so the handler reloads or re-checks what it depends on.
   */
  onRestored(handler: () => void): void {
    this.restoredHandlers.push(handler);
  }

  /** Ready for readiness probes: LISTENing, or nobody in this process needs notifications. */
  get ready(): boolean {
    return this.live || this.handlers.size === 0;
  }

  private ensure(): Promise<void> {
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.client) return;
    const client = new Client({ connectionString: this.url, application_name: 'consent-gateway-listen' });
    client.on('notification', (msg) => {
      for (const handler of this.handlers.get(msg.channel) ?? []) handler(msg.payload ?? '');
    });
    client.on('error', (error) => {
      this.logger.warn({ err: { message: error.message } }, 'listen connection lost');
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await this.notifications.listen(client, channel);
      if (this.stopped) {
        void client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.live = true;
      this.retryDelayMs = RECONNECT_FIRST_MS;
      if (this.wasLost) {
        this.wasLost = false;
        this.logger.log('listen connection restored');
        this.callEach(this.restoredHandlers);
      }
    } catch (error) {
      this.logger.warn({ err: { message: (error as Error).message } }, 'cannot LISTEN; retrying');
      this.drop(client);
    }
  }

  /** One handler's failure is its own: it must neither stop the others nor escape as an unhandled error. */
  private callEach(handlers: readonly (() => void)[]): void {
    for (const handler of handlers) {
      try {
        handler();
      } catch (error) {
        this.logger.error({ err: { message: (error as Error).message } }, 'listener handler failed');
      }
    }
  }

  private drop(client: Client): void {
    if (this.client === client) this.client = null;
    const wasLive = this.live;
    this.live = false;
    this.wasLost = true;
    if (wasLive) this.callEach(this.lostHandlers);
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  /** One pending reconnection at a time (a lost client reports both `error` and `end`). */
  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(RECONNECT_LONGEST_MS, this.retryDelayMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.ensure();
    }, delay);
    this.retryTimer.unref();
  }

  async waitUntilLive(): Promise<void> {
    if (this.handlers.size) await this.ensure();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.live = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }
}
