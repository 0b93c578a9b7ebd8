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
   * The vendor a new connection is for, in the caller's transaction: the one `vendorId` names (null when
   * there is no such vendor), else the vendor called `name`, created when there is none.
   */
  async ensureForConnection(
    manager: EntityManager,
    vendor: { vendorId: string | null; name: string },
  ): Promise<string | null> {
    if (vendor.vendorId)
      return (await this.vendorRows.existsIn(manager, vendor.vendorId)) ? vendor.vendorId : null;
    return this.vendorRows.upsertByName(manager, vendor.name);
  }

  /** The names of these vendors, by id (ids that name no vendor are left out). */
  namesOf(vendorIds: readonly string[]): Promise<Map<string, string>> {
    return this.vendorRows.namesOf([...new Set(vendorIds)]);
  }
}
