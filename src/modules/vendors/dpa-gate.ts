import { Injectable, Logger } from '@nestjs/common';
import { QueueService } from '../../platform/queue/queue.service';
import {
  PROPAGATION_DRAIN_QUEUE,
  type DeliveryOperation,
  type DrainJob,
} from '../propagation/propagation.constants';
import { DpaRepository } from './dpa.repository';
import { isDpaValidOn, needsValidDpa, utcDay } from './dpa-validity';
import { HeldDeliveryRepository } from './held-delivery.repository';
import { VendorUsageRepository } from './vendor-usage.repository';

export interface GateItem {
  deliveryId: string;
  operation: DeliveryOperation;
  states: readonly { status: string }[];
}

/**
 * Art. 28: no personal data goes to a processor without a signed, unexpired agreement. The gate answers
 * "covered?" for a connection or a vendor; propagation acts on the answer: deliveries that would send
 * personal data are held (skipped, reason dpa_missing) until a valid DPA arrives; withdrawals, erasures
 * and restrictions always go out, flagged dpa_missing for the DPO.
 */
@Injectable()
export class DpaGate {
  private readonly logger = new Logger(DpaGate.name);

  constructor(
    private readonly dpas: DpaRepository,
    private readonly usage: VendorUsageRepository,
    private readonly held: HeldDeliveryRepository,
    private readonly jobs: QueueService,
  ) {}

  /** Whether the vendor of the connection has a valid DPA today. One query. */
  async connectionCovered(connectionId: string, day = utcDay()): Promise<boolean> {
    const terms = await this.usage.governingTermsOfConnection(connectionId);
    return Boolean(terms?.status) && isDpaValidOn(terms, day);
  }

  /** Whether the vendor has a valid DPA today. */
  async vendorCovered(vendorId: string, day = utcDay()): Promise<boolean> {
    return isDpaValidOn(await this.dpas.governingTermsOfVendor(vendorId), day);
  }

  // ---- Acting on the answer: moves to the propagation module; delete from here at that merge. ----
  // Callers: PropagationWorker (screen), DpaService.create/update (release), RegistryWorker (releaseAll).

  /**
   * Screens one batch the worker is about to send to a connection: returns the deliveries to hold, and
   * flags those that go out although the vendor has no valid DPA.
   */
  async screen(connectionId: string, items: readonly GateItem[]): Promise<Set<string>> {
    if (items.length === 0 || (await this.connectionCovered(connectionId))) return new Set();
    const held = new Set(items.filter((i) => needsValidDpa(i.operation, i.states)).map((i) => i.deliveryId));
    const flagged = items.filter((i) => !held.has(i.deliveryId)).map((i) => i.deliveryId);
    if (flagged.length) await this.held.flagSentWithoutDpa(flagged);
    if (held.size)
      this.logger.warn({ connectionId, held: held.size }, 'deliveries held: the vendor has no valid DPA');
    return held;
  }

  /**
   * Releases what was held for the vendor once its DPA is valid: the latest held delivery per person,
   * connection and operation goes back to pending (the worker pushes current state, so one carries every
   * held change); older ones, or ones an open delivery already covers, are marked superseded.
   */
  async release(vendorId: string): Promise<number> {
    if (!(await this.vendorCovered(vendorId))) return 0;
    const released = await this.held.releaseHeld(vendorId, async (manager, connectionIds) => {
      const db = await QueueService.dbOf(manager);
      for (const connectionId of connectionIds) {
        await this.jobs.boss.send(PROPAGATION_DRAIN_QUEUE, { connectionId } satisfies DrainJob, {
          singletonKey: connectionId,
          db,
        });
      }
      await this.held.notifyPropagation(manager, connectionIds);
    });
    if (released) this.logger.log({ vendorId, released }, 'held deliveries released: the DPA is valid');
    return released;
  }

  /** Vendors whose DPA became valid without anyone touching it (an effective date reached). */
  async releaseAll(): Promise<number> {
    let released = 0;
    for (const vendorId of await this.held.vendorsWithHeldDeliveries())
      released += await this.release(vendorId);
    return released;
  }
}
