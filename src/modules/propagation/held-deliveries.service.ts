import { Injectable, Logger } from '@nestjs/common';
import { DpaGate } from '../vendors/dpa-gate';
import { needsValidDpa } from './dpa-hold';
import { HeldDeliveryRepository } from './held-delivery.repository';
import { PropagationKicker } from './propagation.kicker';
import type { DeliveryOperation } from './propagation.constants';

export interface GateItem {
  deliveryId: string;
  operation: DeliveryOperation;
  states: readonly { status: string }[];
}

/**
 * Art. 28: no personal data goes to a processor without a signed, unexpired agreement. The vendors
 * module's DPA gate answers "covered?"; propagation acts on it: deliveries that would send personal
 * data are held (skipped, reason dpa_missing) until a valid DPA arrives; withdrawals, erasures and
 * restrictions always go out, flagged dpa_missing for the DPO.
 */
@Injectable()
export class HeldDeliveries {
  private readonly logger = new Logger(HeldDeliveries.name);

  constructor(
    private readonly gate: DpaGate,
    private readonly held: HeldDeliveryRepository,
    private readonly kicker: PropagationKicker,
  ) {}

  /**
   * Screens one batch the worker is about to send to a connection: returns the deliveries to hold, and
   * flags those that go out although the vendor has no valid DPA.
   */
  async screen(connectionId: string, items: readonly GateItem[]): Promise<Set<string>> {
    if (items.length === 0 || (await this.gate.connectionCovered(connectionId))) return new Set();
    const held = new Set(items.filter((i) => needsValidDpa(i.operation, i.states)).map((i) => i.deliveryId));
    const flagged = items.filter((i) => !held.has(i.deliveryId)).map((i) => i.deliveryId);
    if (flagged.length) await this.held.flagDpaMissing(flagged);
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
    if (!(await this.gate.vendorCovered(vendorId))) return 0;
    return this.held.transaction(async (manager) => {
      const released = await this.held.releaseLatest(manager, vendorId);
      await this.held.supersedeRest(manager, vendorId);
      const connectionIds = [...new Set(released.map((r) => r.connection_id))];
      if (connectionIds.length) {
        await this.kicker.kickWithin(manager, connectionIds);
        this.logger.log(
          { vendorId, released: released.length },
          'held deliveries released: the DPA is valid',
        );
      }
      return released.length;
    });
  }

  /** Vendors whose DPA became valid without anyone touching it (an effective date reached). */
  async releaseAll(): Promise<number> {
    let released = 0;
    for (const vendorId of await this.held.vendorsWithHeld()) released += await this.release(vendorId);
    return released;
  }
}
