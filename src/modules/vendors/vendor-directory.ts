import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { KNOWN_PROVIDERS } from './vendor-completeness';
import { VendorRepository } from './vendor.repository';

/**
 * What the connectors module needs of the registry: the vendor a connection belongs to, and vendor names.
 * Apart from VendorService on purpose: it depends on nothing that depends on connections (VendorService
 * reads usage figures through the VendorUsage port, which the propagation module provides from the
 * connections), so the two cannot form a cycle.
 */
@Injectable()
export class VendorDirectory {
  constructor(private readonly vendorRows: VendorRepository) {}

  /**
   * What the registry knows of the vendor a connection asks to join, read in the caller's transaction: its
   * website (null when none), or null when there is no such vendor.
   */
  async attachable(manager: EntityManager, vendorId: string): Promise<{ website: string | null } | null> {
    const website = await this.vendorRows.websiteIn(manager, vendorId);
    return website === undefined ? null : { website };
  }

  /**
   * A vendor record of its own for a new connection, without a DPA, in the caller's transaction: named
   * `name` when that is free, else `name (qualifier)`, then numbered. Never an existing vendor (DPA gate).
   * `provider` (the connection type) fills in what is known of a provider (role, country: KNOWN_PROVIDERS);
   * without it, or for a provider nothing is known of, the vendor is recorded incomplete for the DPO to fill.
   */
  async createForConnection(
    manager: EntityManager,
    name: string,
    qualifier: string,
    provider?: string,
  ): Promise<string> {
    const known = provider ? KNOWN_PROVIDERS[provider] : undefined;
    for (let attempt = 0; ; attempt++) {
      const candidate = attempt === 0 ? name : `${name} (${qualifier})${attempt > 1 ? ` ${attempt}` : ''}`;
      const id = await this.vendorRows.insertNamed(manager, candidate, known ? { ...known } : {});
      if (id) return id;
    }
  }

  /** The names of these vendors, by id (ids that name no vendor are left out). */
  namesOf(vendorIds: readonly string[]): Promise<Map<string, string>> {
    return this.vendorRows.namesOf([...new Set(vendorIds)]);
  }
}
