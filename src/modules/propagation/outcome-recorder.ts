import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Clock } from '../../platform/clock/clock';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { ConnectionDirectory, NOT_FOUND_AT_VENDOR, RecordLinks } from '../connectors';
import type { ConsentPush, PushOutcome, RequestOutcome } from '../connectors';
import { DeliveryRepository } from './delivery.repository';
import { type ClaimedDelivery, recordOutcomes } from './record-outcomes';
import { payloadPlace, RequestPayloads, type SealedPayload } from './request-payload';
import { SettleHooks } from './settle-hooks';
import { batchAbandoned } from './batch-deadline';

/**
 * How long a delivery whose person was not found waits while a backfill runs; a record the backfill links makes it
 * due at once (RecordLinks' records-behind hook), so this is only the fallback.
 */
const BACKFILL_WAIT_MS = 30_000;

/**
 * Writes a batch's outcomes: the row updates in one statement (with the data an access request read, sealed) and
 * the settle hooks of the request deliveries it ended, in one transaction; then metrics and learnt vendor ids.
 */
@Injectable()
export class OutcomeRecorder {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly links: RecordLinks,
    private readonly directory: ConnectionDirectory,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
    private readonly payloads: RequestPayloads,
    private readonly settle: SettleHooks,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async record(
    connection: { id: string; name: string },
    claimed: readonly ClaimedDelivery[],
    outcomes: readonly (PushOutcome | RequestOutcome)[],
    pushes: readonly Pick<ConsentPush, 'deliveryId' | 'subjectId'>[] = [],
  ): Promise<void> {
    // An abandoned batch's deliveries were handed back (and may be claimed again): what it found is not recorded.
    if (batchAbandoned()) return;
    const notFound = outcomes.some((o) => o.outcome === 'skipped' && o.reason === NOT_FOUND_AT_VENDOR);
    const waiting = notFound && (await this.directory.backfillRunning(connection.id));
    const batch = recordOutcomes({
      claimed,
      outcomes,
      pushes,
      now: this.clock.now(),
      baseDelayMs: this.config.retryBaseDelayMs,
      waitForBackfillMs: waiting ? BACKFILL_WAIT_MS : undefined,
      confirmationMs: this.config.processorConfirmationMs,
    });
    const sealed = new Map<string, SealedPayload>();
    const byId = new Map(claimed.map((c) => [c.id, c]));
    for (const u of batch.updates) {
      const c = byId.get(u.id);
      if (u.data && c)
        sealed.set(u.id, this.payloads.seal({ data: u.data }, payloadPlace(c.subject_id, c.operation)));
    }
    await this.settle.within((manager) =>
      batchAbandoned() ? Promise.resolve([]) : this.deliveries.apply(manager, batch.updates, sealed),
    );
    for (const seconds of batch.latencies)
      this.metrics.deliveryLatency.observe({ connection: connection.name }, seconds);
    for (const u of batch.updates)
      this.metrics.deliveries.inc({ connection: connection.name, outcome: u.status });
    // The records a push found and wrote are linked, so later pushes go to them first.
    await this.links.link(undefined, connection.id, batch.remotes);
  }
}
