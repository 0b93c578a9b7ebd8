import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, IsNull, Not, type Repository } from 'typeorm';
import { VendorEntity } from './entities/vendor.entity';
import { VENDOR_COLUMNS, type VendorRow } from './registry.views';

/** The columns a create or a patch writes, already in their stored form. */
export type VendorWrite = Partial<Omit<VendorEntity, 'id' | 'created_at' | 'updated_at'>>;

/** Which vendors a list shows: the ones in use (default), only the archived ones, or all. */
export type ArchivedFilter = 'exclude' | 'only' | 'include';

export interface VendorFilter {
  role: string | null;
  riskTier: string | null;
  /** A substring of the name or legal name, LIKE wildcards already escaped. */
  search: string | null;
  archived: ArchivedFilter;
}

/** The vendor table. */
@Injectable()
export class VendorRepository {
  constructor(@InjectRepository(VendorEntity) private readonly repo: Repository<VendorEntity>) {}

  /** Runs `work` in one transaction. */
  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(work);
  }

  /** raw SQL: calendar days are read as text, so no time zone shifts them (VENDOR_COLUMNS). */
  async findRow(id: string): Promise<VendorRow | null> {
    const rows: VendorRow[] = await this.repo.query(
      `SELECT ${VENDOR_COLUMNS} FROM vendor v WHERE v.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** raw SQL: days as text (VENDOR_COLUMNS), an escaped ILIKE search and a case-blind name order. */
  search(filter: VendorFilter): Promise<VendorRow[]> {
    return this.repo.query(
      `SELECT ${VENDOR_COLUMNS} FROM vendor v
        WHERE ($1::text IS NULL OR v.role = $1) AND ($2::text IS NULL OR v.risk_tier = $2)
          AND ($3::text IS NULL OR v.name ILIKE '%' || $3 || '%' OR v.legal_name ILIKE '%' || $3 || '%')
          AND ($4 = 'include' OR (v.archived_at IS NOT NULL) = ($4 = 'only'))
        ORDER BY lower(v.name), v.id`,
      [filter.role, filter.riskTier, filter.search, filter.archived],
    );
  }

  exists(id: string): Promise<boolean> {
    return this.repo.existsBy({ id });
  }

  /** Locks the vendor row for the caller's transaction; false when there is no such vendor. */
  async lock(manager: EntityManager, id: string): Promise<boolean> {
    const row = await manager
      .getRepository(VendorEntity)
      .findOne({ select: { id: true }, where: { id }, lock: { mode: 'pessimistic_write' } });
    return row !== null;
  }

  /** Which of these ids name a vendor. */
  async existingIds(ids: readonly string[], manager?: EntityManager): Promise<string[]> {
    const repo = manager ? manager.getRepository(VendorEntity) : this.repo;
    const rows = await repo.find({ select: { id: true }, where: { id: In([...ids]) } });
    return rows.map((r) => r.id);
  }

  /** Each of these vendors' names, by id (ids that name no vendor are left out). */
  async namesOf(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.repo.find({ select: { id: true, name: true }, where: { id: In([...ids]) } });
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /**
   * The vendor's website (null when none is recorded), or undefined when there is no such vendor in use (an
   * archived vendor takes no new connection: it would receive data while the registry hides it).
   */
  async websiteIn(manager: EntityManager, id: string): Promise<string | null | undefined> {
    const rows: { website: string | null }[] = await manager.query(
      `SELECT website FROM vendor WHERE id = $1 AND archived_at IS NULL`,
      [id],
    );
    return rows.length ? rows[0].website : undefined;
  }

  /**
   * A new vendor of this name, in the caller's transaction; null when the name is taken (never the existing
   * vendor's id: a name proves nothing about who a connection sends data to).
   */
  async insertNamed(manager: EntityManager, name: string, facts: VendorWrite = {}): Promise<string | null> {
    const result = await manager
      .getRepository(VendorEntity)
      .createQueryBuilder()
      .insert()
      .values({ ...facts, name })
      .orIgnore() // the name is the only unique fact a new row can collide on
      .returning(['id'])
      .execute();
    const rows = result.raw as { id: string }[];
    return rows.length ? rows[0].id : null;
  }

  /** Archives (a time) or brings back (null) the vendor. */
  async setArchived(id: string, at: Date | null): Promise<void> {
    await this.repo.update(id, { archived_at: at, updated_at: () => 'now()' });
  }

  /** Which of these ids name an archived vendor. */
  async archivedIds(ids: readonly string[], manager?: EntityManager): Promise<string[]> {
    if (!ids.length) return [];
    const repo = manager ? manager.getRepository(VendorEntity) : this.repo;
    const rows = await repo.find({
      select: { id: true },
      where: { id: In([...ids]), archived_at: Not(IsNull()) },
    });
    return rows.map((r) => r.id);
  }

  async insert(values: VendorWrite): Promise<string> {
    const result = await this.repo.createQueryBuilder().insert().values(values).returning(['id']).execute();
    return (result.raw as { id: string }[])[0].id;
  }

  async update(id: string, values: VendorWrite): Promise<void> {
    await this.repo.update(id, { ...values, updated_at: () => 'now()' });
  }
}
