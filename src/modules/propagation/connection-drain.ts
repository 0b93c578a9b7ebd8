import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Clock } from '../../platform/clock/clock';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { pacedMax, pacerFor, type SlidingWindowPacer } from '../../platform/pacing/pacer';
import { ConnectionLeases } from '../connectors';
import { ConnectionService } from '../connectors';
import { ConnectorFactory } from '../connectors';
import type { ConnectionType, Connector, PushOutcome } from '../connectors';
import { CallFailures } from './call-failures';
import { DeliveryRepository } from './delivery.repository';
import { DPA_MISSING } from './dpa-hold';
import { HeldDeliveries } from './held-deliveries.service';
import { OutcomeRecorder } from './outcome-recorder';
import { LEASE_SECONDS, REQUEST_OPERATIONS } from './propagation.constants';
import { PushBuilder } from './push-builder';
import type { ClaimedDelivery } from './record-outcomes';
import { RequestDrain } from './request-drain';
import { SettleHooks } from './settle-hooks';
import { withBatchDeadline } from './batch-deadline';

/** Batches of one connection in flight at once. */
const LANES = 4;

/** Items per vendor call, as each vendor's batch endpoints allow. */
const BATCH_SIZE: Record<ConnectionType, number> = { hubspot: 100, salesforce: 200, webhook: 50 };

export type DrainResult = 'drained' | 'paused';

/** What the lanes of one drain share. */
interface Lanes {
  /** Set by the lane that sees a reason to stop (paused, auth failed, rate limited). */
  halt: boolean;
  result: DrainResult;
}

/**
 * Drains one connection whose lease the caller holds: claims due deliveries in batches, pushes each
 * person's current state (or a request's operation) through the connector, and records every outcome. A
 * paused or disconnected connection still receives data-subject requests. Several batches are in flight
 * at once (the pacer still holds the connection to its limit): a batch's own database work would
 * otherwise leave the vendor's budget unused.
 */
@Injectable()
export class ConnectionDrain {
  private readonly logger = new Logger(ConnectionDrain.name);
  private readonly pacers = new Map<string, SlidingWindowPacer>();

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly leases: ConnectionLeases,
    private readonly connections: ConnectionService,
    private readonly factory: ConnectorFactory,
    private readonly pushes: PushBuilder,
    private readonly held: HeldDeliveries,
    private readonly recorder: OutcomeRecorder,
    private readonly requests: RequestDrain,
    private readonly failures: CallFailures,
    private readonly settle: SettleHooks,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * How long one claimed batch may take at its vendor: many bounded calls, paced, so several call timeouts, and
   * never less than two minutes (a rate-limited batch waits for its window).
   */
  private get batchDeadlineMs(): number {
    return Math.max(120_000, 6 * this.config.connectorTimeoutMs);
  }

  async drain(connectionId: string, owner: string, stopping: () => boolean): Promise<DrainResult> {
    // We hold the lease: anything still in progress belongs to a worker that died mid-call.
    await this.deliveries.takeBackInterrupted(connectionId);
    const lanes: Lanes = { halt: false, result: 'drained' };
    await Promise.all(Array.from({ length: LANES }, () => this.lane(connectionId, owner, stopping, lanes)));
    return lanes.result;
  }

  private async lane(
    connectionId: string,
    owner: string,
    stopping: () => boolean,
    lanes: Lanes,
  ): Promise<void> {
    while (!stopping() && !lanes.halt && (await this.leases.renew(connectionId, owner, LEASE_SECONDS))) {
      const context = await this.connections.context(connectionId);
      // Art. 17-19: requests reach every connection that may hold the person; consent updates wait or end.
      let requestsOnly = false;
      switch (context.status) {
        case 'paused':
          // Consent updates wait for the resume (which kicks the connection again).
          lanes.result = 'paused';
          requestsOnly = true;
          break;
        case 'auth_failed':
          lanes.halt = true;
          await this.settle.within((manager) =>
            this.deliveries.endOpen(
              manager,
              connectionId,
              'dead',
              `connection auth_failed: reconnect it, then retry (${context.name})`,
            ),
          );
          return;
        case 'disconnected':
          // Its credentials are kept: requests are still tried with them.
          await this.settle.within((manager) =>
            this.deliveries.endOpen(manager, connectionId, 'skipped', 'connection_disconnected', {
              consentOnly: true,
            }),
          );
          requestsOnly = true;
          break;
        case 'active':
          break;
      }
      const claimed = await this.deliveries.claim(connectionId, BATCH_SIZE[context.type], requestsOnly);
      if (claimed.length === 0) return;
      const pacer = this.pacer(connectionId, context.rateLimit);
      const connector = this.factory.create(context, async () => {
        await pacer.take();
        this.metrics.vendorCalls.inc({ connection: context.name });
      });
      const connection = { id: connectionId, name: context.name, erasureMode: context.erasureMode };
      // One operation per vendor call; every claimed delivery is recorded before the lane stops.
      let halt = false;
      try {
        const sent = await withBatchDeadline(this.batchDeadlineMs, async () => {
          let stop = false;
          const consent = claimed.filter((c) => c.operation === 'consent_update');
          if (consent.length) stop = await this.consentBatch(connector, connection, consent);
          for (const operation of REQUEST_OPERATIONS) {
            const group = claimed.filter((c) => c.operation === operation);
            if (group.length && (await this.requests.send(connector, connection, operation, group)))
              stop = true;
          }
          return stop;
        });
        if (!sent.done) {
          // The batch outlived its deadline: its deliveries go back to be sent again, and the abandoned attempt
          // records nothing (batch-deadline.ts).
          const released = await this.deliveries.release(
            claimed.map((c) => c.id),
            `no answer within ${Math.round(this.batchDeadlineMs / 1000)} s for the batch; retried`,
          );
          this.logger.warn(
            { connectionId, released, deadlineMs: this.batchDeadlineMs },
            'a batch outlived its deadline; its deliveries go back to be sent again',
          );
          continue;
        }
        halt = sent.value;
      } catch (error) {
        // Recording failed (a deadlock with another transaction, the database restarting): the claimed deliveries
        // must not stay in progress under a lease this process keeps renewing. They go back to be sent again
        // (connectors are idempotent); outcomes already recorded are not touched.
        const released = await this.deliveries.release(
          claimed.map((c) => c.id),
          'recording the outcome failed; retried',
        );
        this.logger.warn(
          { connectionId, released, err: { name: (error as Error).name, message: (error as Error).message } },
          'a batch could not be recorded; its deliveries go back to be sent again',
        );
        continue;
      }
      if (halt) {
        lanes.halt = true;
        return;
      }
    }
  }

  /** Pushes consent updates (the person's current state); returns whether the drain must stop. */
  private async consentBatch(
    connector: Connector,
    connection: { id: string; name: string },
    claimed: ClaimedDelivery[],
  ): Promise<boolean> {
    const built = await this.pushes.build(connection.id, claimed);
    // Art. 28: personal data goes out only under a valid DPA; withdrawals always do (flagged).
    const held = await this.held.screen(
      connection.id,
      built.map((p) => ({ deliveryId: p.deliveryId, operation: 'consent_update', states: p.states })),
    );
    const heldOutcomes: PushOutcome[] = [...held].map((deliveryId) => ({
      deliveryId,
      outcome: 'skipped' as const,
      reason: DPA_MISSING,
    }));
    const pushes = built.filter((p) => !held.has(p.deliveryId));
    if (pushes.length === 0) {
      await this.recorder.record(connection, claimed, heldOutcomes);
      return false;
    }
    let outcomes: PushOutcome[];
    try {
      outcomes = [...heldOutcomes, ...(await connector.pushConsent(pushes))];
    } catch (error) {
      const failure = await this.failures.classify(connection.id, error);
      const failed = pushes.map((p) => ({
        deliveryId: p.deliveryId,
        outcome: 'failed' as const,
        error: failure.error,
      }));
      await this.recorder.record(connection, claimed, [...heldOutcomes, ...failed]);
      return failure.halt;
    }
    await this.recorder.record(connection, claimed, outcomes, pushes);
    return false;
  }

  /** The connection's pacer, kept across drains so the window stays exact; rebuilt when its limit changes. */
  private pacer(connectionId: string, limit: { max: number; windowMs: number }): SlidingWindowPacer {
    let pacer = this.pacers.get(connectionId);
    if (!pacer || pacer.max !== pacedMax(limit) || pacer.windowMs !== limit.windowMs) {
      pacer = pacerFor(limit, this.clock);
      this.pacers.set(connectionId, pacer);
    }
    return pacer;
  }
}
