import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { DATABASE_URL } from './database.tokens';
import { Notifications } from './notifications';

type Handler = (payload: string) => void;

/**
 * One LISTEN connection per process, shared by every channel (the ledger's consent changes, the inbox's and
 * propagation's wake-ups). While it is down, `live` is
 * false and readers must not trust anything cached from notifications.
 */
@Injectable()
export class NotificationListener implements OnModuleDestroy {
  private readonly logger = new Logger(NotificationListener.name);
  private client: Client | null = null;
  private readonly handlers = new Map<string, Handler[]>();
  private readonly lostHandlers: (() => void)[] = [];
  private stopped = false;
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
      this.client = client;
      this.live = true;
    } catch (error) {
      this.logger.warn({ err: { message: (error as Error).message } }, 'cannot LISTEN; retrying');
      this.drop(client);
    }
  }

  private drop(client: Client): void {
    if (this.client === client) this.client = null;
    this.live = false;
    for (const handler of this.lostHandlers) handler();
    void client.end().catch(() => undefined);
    if (!this.stopped) setTimeout(() => void this.ensure(), 1000).unref();
  }

  async waitUntilLive(): Promise<void> {
    if (this.handlers.size) await this.ensure();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.live = false;
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }
}
