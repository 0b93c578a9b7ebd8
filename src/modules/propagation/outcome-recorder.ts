import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Clock } from '../../platform/clock/clock';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { ConnectionService } from '../connectors';
import type { ConsentPush, PushOutcome } from '../connectors';
import { DeliveryRepository } from './delivery.repository';
import { type ClaimedDelivery, recordOutcomes } from './record-outcomes';

/** Writes a batch's outcomes: the row updates in one statement, then metrics and learnt vendor ids. */
@Injectable()
export class OutcomeRecorder {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly connections: ConnectionService,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async record(
    connection: { id: string; name: string },
    claimed: readonly ClaimedDelivery[],
    outcomes: readonly PushOutcome[],
    pushes: readonly ConsentPush[] = [],
  ): Promise<void> {
    const batch = recordOutcomes({
      claimed,
      outcomes,
      pushes,
      now: this.clock.now(),
      baseDelayMs: this.config.retryBaseDelayMs,
    });
    await this.deliveries.apply(batch.updates);
    for (const seconds of batch.latencies)
      this.metrics.deliveryLatency.observe({ connection: connection.name }, seconds);
    for (const u of batch.updates)
      this.metrics.deliveries.inc({ connection: connection.name, outcome: u.status });
    for (const r of batch.remotes)
      await this.connections.saveRemote(connection.id, r.subjectId, r.remoteId, r.pushed);
  }
}
