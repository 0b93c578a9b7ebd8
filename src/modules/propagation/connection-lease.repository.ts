import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** How long a drain lease lasts without renewal; a crashed worker's connections are free after this. */
export const LEASE_SECONDS = 20;

export type LeaseAttempt = { acquired: true } | { acquired: false; heldUntil: Date | null };

/**
 * The drain lease on a connection row: one process at a time drains a connection, so pacing to the
 * vendor's limit is exact and one person's changes are never applied out of order.
 */
// cross-module: drain_owner/drain_lease_until live on the connectors module's `connection` table; the
// lease stays here as raw SQL until a later step decides who owns it.
@Injectable()
export class ConnectionLeaseRepository {
  constructor(private readonly dataSource: DataSource) {}

  // raw SQL: a conditional UPDATE ... RETURNING is the lease's compare-and-set, on the database's clock.
  async acquire(connectionId: string, owner: string): Promise<LeaseAttempt> {
    const [rows]: [{ id: string }[], number] = await this.dataSource.query(
      `UPDATE connection SET drain_owner = $2, drain_lease_until = now() + make_interval(secs => $3)
        WHERE id = $1 AND (drain_owner IS NULL OR drain_owner = $2 OR drain_lease_until < now()) RETURNING id`,
      [connectionId, owner, LEASE_SECONDS],
    );
    if (rows.length) return { acquired: true };
    const held: { drain_lease_until: Date | null }[] = await this.dataSource.query(
      `SELECT drain_lease_until FROM connection WHERE id = $1`,
      [connectionId],
    );
    return { acquired: false, heldUntil: held[0]?.drain_lease_until ?? null };
  }

  // raw SQL: renews only while this owner still holds the lease.
  async renew(connectionId: string, owner: string): Promise<boolean> {
    const [rows]: [unknown[], number] = await this.dataSource.query(
      `UPDATE connection SET drain_lease_until = now() + make_interval(secs => $3)
        WHERE id = $1 AND drain_owner = $2 RETURNING id`,
      [connectionId, owner, LEASE_SECONDS],
    );
    return rows.length > 0;
  }

  // raw SQL: releases only this owner's lease.
  async release(connectionId: string, owner: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE connection SET drain_owner = NULL, drain_lease_until = NULL WHERE id = $1 AND drain_owner = $2`,
      [connectionId, owner],
    );
  }
}
