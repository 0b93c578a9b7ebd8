import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, Not, type Repository } from 'typeorm';
import { ConnectionEntity } from './entities/connection.entity';

/** Reads of the connection table for other modules, and the propagation worker's drain lease. */
@Injectable()
export class ConnectionDirectoryRepository {
  constructor(@InjectRepository(ConnectionEntity) private readonly repo: Repository<ConnectionEntity>) {}

  async liveCountsByVendor(vendorIds: readonly string[]): Promise<{ vendorId: string; n: number }[]> {
    if (vendorIds.length === 0) return [];
    const rows = await this.repo
      .createQueryBuilder('c')
      .select('c.vendor_id', 'vendorId')
      .addSelect('count(*)::int', 'n')
      .where('c.vendor_id = ANY(:ids)', { ids: [...vendorIds] })
      .andWhere(`c.status <> 'disconnected'`)
      .groupBy('c.vendor_id')
      .getRawMany<{ vendorId: string; n: number }>();
    return rows;
  }

  ofVendor(vendorId: string): Promise<ConnectionEntity[]> {
    return this.repo.find({
      select: { id: true, vendorId: true, name: true, type: true, status: true, createdAt: true },
      where: { vendorId },
      order: { createdAt: 'ASC' },
    });
  }

  byIds(ids: readonly string[]): Promise<ConnectionEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.repo.find({
      select: { id: true, vendorId: true, name: true, type: true, status: true, createdAt: true },
      where: { id: In([...ids]) },
    });
  }

  /** Every connection, disconnected ones too, oldest first; in the caller's transaction when given. */
  everyConnection(manager?: EntityManager): Promise<ConnectionEntity[]> {
    return (manager?.getRepository(ConnectionEntity) ?? this.repo).find({
      select: { id: true, vendorId: true, name: true, type: true, status: true, createdAt: true },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** Every connection not disconnected, ordered by name. */
  async live(): Promise<{ id: string; name: string; type: string; status: string; vendor_id: string }[]> {
    const rows = await this.repo.find({
      select: { id: true, name: true, type: true, status: true, vendorId: true },
      where: { status: Not('disconnected') },
      order: { name: 'ASC', id: 'ASC' },
    });
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      type: r.type,
      status: r.status,
      vendor_id: r.vendorId,
    }));
  }

  // ---- the propagation worker's drain lease: one drainer per connection across processes ----

  /** raw SQL: a conditional claim in one statement (take it if free, ours, or expired). */
  async acquireLease(connectionId: string, owner: string, seconds: number): Promise<boolean> {
    const [rows]: [{ id: string }[], number] = await this.repo.query(
      `UPDATE connection SET drain_owner = $2, drain_lease_until = now() + make_interval(secs => $3)
        WHERE id = $1 AND (drain_owner IS NULL OR drain_owner = $2 OR drain_lease_until < now()) RETURNING id`,
      [connectionId, owner, seconds],
    );
    return rows.length > 0;
  }

  async leaseUntil(connectionId: string): Promise<Date | null> {
    const row = await this.repo.findOne({
      select: { id: true, drainLeaseUntil: true },
      where: { id: connectionId },
    });
    return row?.drainLeaseUntil ?? null;
  }

  /** raw SQL: extends the lease only while we still own it, in one statement. */
  async renewLease(connectionId: string, owner: string, seconds: number): Promise<boolean> {
    const [rows]: [unknown[], number] = await this.repo.query(
      `UPDATE connection SET drain_lease_until = now() + make_interval(secs => $3)
        WHERE id = $1 AND drain_owner = $2 RETURNING id`,
      [connectionId, owner, seconds],
    );
    return rows.length > 0;
  }

  async releaseLease(connectionId: string, owner: string): Promise<void> {
    await this.repo.update(
      { id: connectionId, drainOwner: owner },
      { drainOwner: null, drainLeaseUntil: null },
    );
  }
}
