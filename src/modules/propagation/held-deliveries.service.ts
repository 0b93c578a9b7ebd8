import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { QueueService } from '../../platform/queue/queue.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { ConnectionDirectory } from '../connectors';
import { DpaGate } from '../vendors';
import { DpaService } from '../vendors';
import { needsValidDpa } from './dpa-hold';
import { HeldDeliveryRepository } from './held-delivery.repository';
import { PropagationKicker } from './propagation.kicker';
import { type DeliveryOperation, PROPAGATION_RELEASE_QUEUE } from './propagation.constants';

export interface GateItem {
  deliveryId: string;
  operation: DeliveryOperation;
  states: readonly { status: string }[];
}

/**
 * Art. 28: no personal data goes to a processor without a signed, unexpired agreement. The vendors
 * module's DPA gate answers "covered?"; propagation acts on it: deliveries that would send personal
 * data are held (skipped, reason dpa_missing) until a valid DPA arrives; withdrawals, erasures and
 * restrictions always go out, flagged dpa_missing for the DPO. Held deliveries are released when the
 * registry says a vendor's coverage may have changed, and every ten minutes (an agreement can become
 * valid without anyone touching it: its effective date arrives).
 */
@Injectable()
export class HeldDeliveries implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(HeldDeliveries.name);
  /** The vendor of each connection seen: a connection never changes vendor, so one look-up each. */
  private readonly vendorOf = new Map<string, string | null>();

  constructor(
    private readonly gate: DpaGate,
    private readonly dpas: DpaService,
    private readonly directory: ConnectionDirectory,
    private readonly held: HeldDeliveryRepository,
    private readonly kicker: PropagationKicker,
    private readonly jobs: QueueService,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  onModuleInit(): void {
    this.dpas.onCoverageMayHaveChanged(async (vendorId) => {
      await this.release(vendorId);
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.roles.worker) return;
    await this.jobs.start([{ name: PROPAGATION_RELEASE_QUEUE, retryLimit: 0, expireInSeconds: 300 }]);
    await this.jobs.work(PROPAGATION_RELEASE_QUEUE, { pollingIntervalSeconds: 60 }, async () => {
      await this.releaseAll();
    });
    await this.jobs.boss.schedule(PROPAGATION_RELEASE_QUEUE, '*/10 * * * *');
  }

  /**
   * Screens one batch the worker is about to send to a connection: returns the deliveries to hold, and
   * flags those that go out although the vendor has no valid DPA.
   */
  async screen(connectionId: string, items: readonly GateItem[]): Promise<Set<string>> {
    if (items.length === 0 || (await this.covered(connectionId))) return new Set();
    const held = new Set(items.filter((i) => needsValidDpa(i.operation, i.states)).map((i) => i.deliveryId));
    const flagged = items.filter((i) => !held.has(i.deliveryId)).map((i) => i.deliveryId);
    if (flagged.length) await this.held.flagDpaMissing(flagged);
    if (held.size)
      this.logger.warn({ connectionId, held: held.size }, 'deliveries held: the vendor has no valid DPA');
    return held;
  }

  /** Whether the connection's vendor has a valid DPA today (an unknown connection has none). */
  private async covered(connectionId: string): Promise<boolean> {
    if (!this.vendorOf.has(connectionId))
      this.vendorOf.set(connectionId, await this.directory.vendorOf(connectionId));
    const vendorId = this.vendorOf.get(connectionId);
    return vendorId ? this.gate.vendorCovered(vendorId) : false;
  }

  /**
   * Releases what was held for the vendor once its DPA is valid: the latest held delivery per person,
   * connection and operation goes back to pending (the worker pushes current state, so one carries every
   * held change); older ones, or ones an open delivery already covers, are marked superseded.
   */
  async release(vendorId: string): Promise<number> {
    if (!(await this.gate.vendorCovered(vendorId))) return 0;
    const connectionIds = (await this.directory.ofVendor(vendorId)).map((c) => c.id);
    if (connectionIds.length === 0) return 0;
    return this.held.transaction(async (manager) => {
      const released = await this.held.releaseLatest(manager, connectionIds);
      await this.held.supersedeRest(manager, connectionIds);
      const kicked = [...new Set(released.map((r) => r.connection_id))];
      if (kicked.length) {
        await this.kicker.kickWithin(manager, kicked);
        this.logger.log(
          { vendorId, released: released.length },
          'held deliveries released: the DPA is valid',
        );
      }
      return released.length;
    });
  }

  /** Releases held deliveries of every vendor whose DPA became valid without anyone touching it. */
  async releaseAll(): Promise<number> {
    const connections = await this.directory.byIds(await this.held.connectionsWithHeld());
    const vendorIds = new Set([...connections.values()].map((c) => c.vendorId));
    let released = 0;
    for (const vendorId of vendorIds) released += await this.release(vendorId);
    return released;
  }
}
