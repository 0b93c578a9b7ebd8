import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { VendorDirectory } from '../vendors';
import { BackfillRunRepository } from './backfill-run.repository';
import { ConnectionDirectoryRepository } from './connection-directory.repository';
import type { ConnectionType } from './connector.port';
import type { ConnectionStatus } from './entities/connection.entity';

/** What other modules may know of a connection without its credentials. */
export interface ConnectionSummary {
  id: string;
  vendorId: string;
  name: string;
  type: ConnectionType;
  status: ConnectionStatus;
  createdAt: Date;
}

const summary = (c: ConnectionSummary): ConnectionSummary => ({
  id: c.id,
  vendorId: c.vendorId,
  name: c.name,
  type: c.type,
  status: c.status,
  createdAt: c.createdAt,
});

/**
 * The connectors module's read API for other modules (vendors, console, propagation): they ask here instead
 * of reading the connection table. Deliveries joined to connections are answered by combining these with the
 * propagation module's own reads (by connection id).
 */
@Injectable()
export class ConnectionDirectory {
  constructor(
    private readonly rows: ConnectionDirectoryRepository,
    private readonly vendors: VendorDirectory,
    private readonly backfills: BackfillRunRepository,
  ) {}

  /** Whether a backfill of the connection is running (people not found yet may still be linked by it). */
  async backfillRunning(connectionId: string): Promise<boolean> {
    return (await this.backfills.running(undefined, connectionId)) !== null;
  }

  /** Connections not disconnected, counted per vendor (vendors absent from the map have none). */
  async liveCountsByVendor(vendorIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.rows.liveCountsByVendor(vendorIds);
    return new Map(rows.map((r) => [r.vendorId, r.n]));
  }

  /** Every connection of a vendor (disconnected ones too), oldest first. */
  async ofVendor(vendorId: string): Promise<ConnectionSummary[]> {
    return (await this.rows.ofVendor(vendorId)).map(summary);
  }

  /** The connections with these ids, by id (unknown ids are absent). */
  async byIds(ids: readonly string[]): Promise<Map<string, ConnectionSummary>> {
    const rows = await this.rows.byIds([...new Set(ids)]);
    return new Map(rows.map((r) => [r.id, summary(r)]));
  }

  /**
   * Every connection that holds or may hold a person's data: all of them, paused and disconnected ones too (a
   * disconnected connection keeps its credentials, and an erasure must still reach what it holds). Oldest first.
   */
  async mayHoldPeople(manager?: EntityManager): Promise<ConnectionSummary[]> {
    return (await this.rows.everyConnection(manager)).map(summary);
  }

  /** The vendor a connection belongs to, or null for an unknown connection. */
  async vendorOf(connectionId: string): Promise<string | null> {
    return (await this.byIds([connectionId])).get(connectionId)?.vendorId ?? null;
  }

  /** Every connection not disconnected, with its vendor's name, ordered by name (the console's overview). */
  async live(): Promise<(Omit<ConnectionSummary, 'createdAt'> & { vendorName: string })[]> {
    const rows = await this.rows.live();
    const names = await this.vendors.namesOf(rows.map((r) => r.vendor_id));
    return rows.map((r) => ({
      id: r.id,
      vendorId: r.vendor_id,
      vendorName: names.get(r.vendor_id) ?? '',
      name: r.name,
      type: r.type as ConnectionType,
      status: r.status as ConnectionStatus,
    }));
  }
}

/**
 * The propagation worker's drain lease on a connection (connection.drain_owner / drain_lease_until): at most
 * one process drains a connection; a lease left by a crashed process expires.
 */
@Injectable()
export class ConnectionLeases {
  constructor(private readonly rows: ConnectionDirectoryRepository) {}

  /** Takes the lease when it is free, already ours, or expired; otherwise says until when it is held. */
  async acquire(
    connectionId: string,
    owner: string,
    seconds: number,
  ): Promise<{ acquired: boolean; until: Date | null }> {
    if (await this.rows.acquireLease(connectionId, owner, seconds)) return { acquired: true, until: null };
    return { acquired: false, until: await this.rows.leaseUntil(connectionId) };
  }

  renew(connectionId: string, owner: string, seconds: number): Promise<boolean> {
    return this.rows.renewLease(connectionId, owner, seconds);
  }

  release(connectionId: string, owner: string): Promise<void> {
    return this.rows.releaseLease(connectionId, owner);
  }
}
