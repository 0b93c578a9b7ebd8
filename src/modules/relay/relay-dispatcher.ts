import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Clock } from '../../platform/clock/clock';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { decideRelayRetry, type RelayRetryPolicy } from './relay-backoff';
import { relayDestinations, type RelayDestination } from './relay-destinations';
import { relayHeaders } from './relay-headers';
import { RelayRepository, type ClaimedRelayDelivery } from './relay.repository';
import { relayBodyPlace } from './relay-sealed-places';
import { RelaySender } from './relay-sender';

const BATCH = 100;

/**
 * One pass of the relay: claims due rows, sends each once (at most `concurrency` at a time per destination, rows
 * of one sender never together: the claim holds a sender's later rows back) and settles it. Separate from the
 * worker loop so that a spec can drive it with a clock it controls.
 */
@Injectable()
export class RelayDispatcher {
  private readonly logger = new Logger(RelayDispatcher.name);
  private readonly destinations: Map<string, RelayDestination>;
  private readonly policy: RelayRetryPolicy;
  private readonly concurrency: number;
  /** Longer than any one attempt can take, so a live sender never sees its row claimed twice. */
  private readonly leaseMs: number;

  constructor(
    private readonly relay: RelayRepository,
    private readonly sender: RelaySender,
    private readonly crypto: CryptoService,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.destinations = new Map(relayDestinations(config.whatsappForwardUrls).map((d) => [d.key, d]));
    this.policy = config.relay;
    this.concurrency = config.relay.concurrency;
    this.leaseMs = config.relay.timeoutMs + 30_000;
  }

  get destinationList(): RelayDestination[] {
    return [...this.destinations.values()];
  }

  /** Claims and sends one batch; returns how many rows it took (0: nothing due). */
  async dispatchOnce(): Promise<number> {
    const batch = await this.relay.claimDue(
      BATCH * Math.max(1, this.destinations.size),
      new Date(this.clock.now()),
      this.leaseMs,
    );
    const byDestination = new Map<string, ClaimedRelayDelivery[]>();
    for (const row of batch)
      byDestination.set(row.destination, [...(byDestination.get(row.destination) ?? []), row]);
    await Promise.all([...byDestination.entries()].map(([key, rows]) => this.sendAll(key, rows)));
    return batch.length;
  }

  /** Updates the lag gauge of every destination (the age of its oldest delivery not yet forwarded). */
  async measureLag(): Promise<void> {
    for (const destination of this.destinations.values()) {
      const oldest = await this.relay.oldestPendingAt(destination.key);
      this.metrics.relayLag.set(
        { destination: destination.key },
        oldest ? Math.max(0, (this.clock.now() - oldest.getTime()) / 1000) : 0,
      );
    }
  }

  private async sendAll(key: string, rows: ClaimedRelayDelivery[]): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < rows.length) {
        const row = rows[next++];
        await this.sendOne(key, row).catch((error: Error) =>
          this.logger.error({ relaySeq: row.seq, err: { message: error.message } }, 'relay send failed'),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, rows.length) }, lane));
  }

  private async sendOne(key: string, row: ClaimedRelayDelivery): Promise<void> {
    const destination = this.destinations.get(key);
    if (!destination) {
      // A URL taken out of WHATSAPP_FORWARD_URLS: its rows wait (lease by lease) in case it comes back; the
      // console shows them, and they go dead at the horizon like any undeliverable row.
      await this.fail(row, null, 'destination is no longer configured');
      return;
    }
    if (!row.body || !row.keyId) {
      await this.relay.markDead(row, null, 'body no longer kept', new Date(this.clock.now()));
      return;
    }
    const body = this.crypto.open({ ciphertext: row.body, keyId: row.keyId }, relayBodyPlace(row.inboxId));
    const attempt = await this.sender.send(
      destination.url,
      body,
      relayHeaders({
        deliveryId: row.deliveryId,
        signature: row.signature,
        consent: row.consent,
        attempt: row.attempts,
        contentLength: body.length,
      }),
    );
    if (attempt.delivered) {
      await this.relay.markDelivered(row, attempt.status, new Date(this.clock.now()));
      this.metrics.relayForwarded.inc({ destination: key });
      return;
    }
    await this.fail(row, attempt.status, attempt.error);
  }

  private async fail(row: ClaimedRelayDelivery, status: number | null, error: string): Promise<void> {
    const now = this.clock.now();
    const decision = decideRelayRetry(row.attempts, row.receivedAt, this.policy, { now });
    if (decision.status === 'pending') {
      await this.relay.markRetry(row, decision.nextAttemptAt, status, error);
      this.metrics.relayRetries.inc({ destination: row.destination });
    } else {
      await this.relay.markDead(row, status, `${decision.reason}; last: ${error}`, new Date(now));
      this.metrics.relayDead.inc({ destination: row.destination });
      this.logger.warn({ relaySeq: row.seq, destination: row.destination }, 'relay delivery dead');
    }
  }
}
