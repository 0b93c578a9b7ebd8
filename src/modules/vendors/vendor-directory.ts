import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
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
   */
  async createForConnection(manager: EntityManager, name: string, qualifier: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const candidate = attempt === 0 ? name : `${name} (${qualifier})${attempt > 1 ? ` ${attempt}` : ''}`;
      const id = await this.vendorRows.insertNamed(manager, candidate);
      if (id) return id;
    }
  }

  /** The names of these vendors, by id (ids that name no vendor are left out). */
  namesOf(vendorIds: readonly string[]): Promise<Map<string, string>> {
    return this.vendorRows.namesOf([...new Set(vendorIds)]);
  }
}
