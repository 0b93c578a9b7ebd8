import { Injectable } from '@nestjs/common';
import { Clock } from '../../platform/clock/clock';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { pacedMax, pacerFor, type SlidingWindowPacer } from '../../platform/pacing/pacer';
import { ConnectionLeases } from '../connectors';
import { ConnectionService } from '../connectors';
import { ConnectorFactory } from '../connectors';
import {
  AuthFailedError,
  ConnectorError,
  type ConnectionType,
  type PushOutcome,
  RateLimitedError,
  TransientError,
} from '../connectors';
import { DeliveryRepository } from './delivery.repository';
import { DPA_MISSING } from './dpa-hold';
import { HeldDeliveries } from './held-deliveries.service';
import { OutcomeRecorder } from './outcome-recorder';
import { LEASE_SECONDS } from './propagation.constants';
import { PushBuilder } from './push-builder';

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
 * person's current state through the connector, and records every outcome. Several batches are in flight
 * at once (the pacer still holds the connection to its limit): a batch's own database work would
 * otherwise leave the vendor's budget unused.
 */
@Injectable()
export class ConnectionDrain {
  private readonly pacers = new Map<string, SlidingWindowPacer>();

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly leases: ConnectionLeases,
    private readonly connections: ConnectionService,
    private readonly factory: ConnectorFactory,
    private readonly pushes: PushBuilder,
    private readonly held: HeldDeliveries,
    private readonly recorder: OutcomeRecorder,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
  ) {}

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
      switch (context.status) {
        case 'paused':
          lanes.halt = true;
          lanes.result = 'paused';
          return;
        case 'auth_failed':
          lanes.halt = true;
          await this.deliveries.endOpen(
            connectionId,
            'dead',
            `connection auth_failed: reconnect it, then retry (${context.name})`,
          );
          return;
        case 'disconnected':
          lanes.halt = true;
          await this.deliveries.endOpen(connectionId, 'skipped', 'connection_disconnected');
          return;
        case 'active':
          break;
      }
      const claimed = await this.deliveries.claim(connectionId, BATCH_SIZE[context.type]);
      if (claimed.length === 0) return;
      const pacer = this.pacer(connectionId, context.rateLimit);
      const connector = this.factory.create(context, async () => {
        await pacer.take();
        this.metrics.vendorCalls.inc({ connection: context.name });
      });
      const connection = { id: connectionId, name: context.name };
      const built = await this.pushes.build(connectionId, claimed);
      // Art. 28: personal data goes out only under a valid DPA; withdrawals and erasures always do (flagged).
      const operationOf = new Map(claimed.map((c) => [c.id, c.operation]));
      const held = await this.held.screen(
        connectionId,
        built.map((p) => ({
          deliveryId: p.deliveryId,
          operation: operationOf.get(p.deliveryId)!,
          states: p.states,
        })),
      );
      const heldOutcomes: PushOutcome[] = [...held].map((deliveryId) => ({
        deliveryId,
        outcome: 'skipped' as const,
        reason: DPA_MISSING,
      }));
      const pushes = built.filter((p) => !held.has(p.deliveryId));
      if (pushes.length === 0) {
        await this.recorder.record(connection, claimed, heldOutcomes);
        continue;
      }
      let outcomes: PushOutcome[];
      try {
        outcomes = [...heldOutcomes, ...(await connector.pushConsent(pushes))];
      } catch (error) {
        const classified =
          error instanceof ConnectorError
            ? error
            : new TransientError(`unexpected: ${(error as Error).message}`);
        let reported: ConnectorError = classified;
        if (classified instanceof AuthFailedError) {
          await this.connections.markAuthFailed(connectionId, classified.message);
          reported = new AuthFailedError(`connection auth_failed: ${classified.message}`);
        }
        const failed = pushes.map((p) => ({
          deliveryId: p.deliveryId,
          outcome: 'failed' as const,
          error: reported,
        }));
        await this.recorder.record(connection, claimed, [...heldOutcomes, ...failed]);
        if (classified instanceof RateLimitedError || classified instanceof AuthFailedError) {
          lanes.halt = true;
          return;
        }
        continue;
      }
      await this.recorder.record(connection, claimed, outcomes, pushes);
    }
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
