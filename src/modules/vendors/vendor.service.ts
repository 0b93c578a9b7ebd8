import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DpaService } from './dpa.service';
import { utcDay } from './dpa-validity';
import { checkTransfers, transfersJson } from './dto/registry-common.dto';
import type { AddSubProcessorDto, CreateVendorDto, UpdateVendorDto, VendorQueryDto } from './dto/vendor.dto';
import {
  isUniqueViolation,
  RegistryConflictError,
  RegistryInvalidError,
  VendorNotFoundError,
} from './registry.errors';
import { dpaPosition, dpaView, VENDOR_COLUMNS, vendorView, type VendorRow } from './registry.views';
import { DPA_MISSING } from './registry.types';

/** Columns a create or a patch may write, and how each value is stored. */
const WRITABLE: Record<string, (value: unknown) => unknown> = {
  name: (v) => v,
  legal_name: (v) => v ?? null,
  country: (v) => (typeof v === 'string' ? v.toUpperCase() : null),
  website: (v) => v ?? null,
  privacy_contact_email: (v) => v ?? null,
  role: (v) => v ?? null,
  services: (v) => v ?? [],
  data_categories: (v) => v ?? [],
  data_subject_categories: (v) => v ?? [],
  purposes: (v) => v ?? [],
  transfers: (v) => transfersJson((v as Parameters<typeof transfersJson>[0] | null) ?? []),
  risk_tier: (v) => v ?? null,
  owner: (v) => v ?? null,
  next_review_at: (v) => v ?? null,
  notes: (v) => v ?? null,
};

const CAST: Record<string, string> = { transfers: '::jsonb', next_review_at: '::date' };

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

interface ConnectionStatsRow {
  id: string;
  name: string;
  type: string;
  status: string;
  created_at: Date;
  succeeded: number;
  dead: number;
  pending: number;
  skipped: number;
  held_dpa_missing: number;
  flagged_dpa_missing: number;
  succeeded_30d: number;
  dead_30d: number;
  pending_30d: number;
  skipped_30d: number;
  total_30d: number;
  last_succeeded_at: Date | null;
}

/** The vendor registry: who the processors are, what they hold, under which agreement. */
@Injectable()
export class VendorService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly dpas: DpaService,
  ) {}

  private async row(id: string): Promise<VendorRow> {
    const rows: VendorRow[] = await this.dataSource.query(
      `SELECT ${VENDOR_COLUMNS} FROM vendor v WHERE v.id = $1`,
      [id],
    );
    if (!rows[0]) throw new VendorNotFoundError(`No vendor ${id}`);
    return rows[0];
  }

  private async connectionCounts(ids: readonly string[]): Promise<Map<string, number>> {
    const rows: { vendor_id: string; n: number }[] = await this.dataSource.query(
      `SELECT vendor_id, count(*)::int AS n FROM connection WHERE vendor_id = ANY($1) AND status <> 'disconnected'
        GROUP BY vendor_id`,
      [ids],
    );
    return new Map(rows.map((r) => [r.vendor_id, r.n]));
  }

  private async views(rows: VendorRow[]) {
    const ids = rows.map((r) => r.id);
    const [versions, counts] = await Promise.all([this.dpas.versionsOf(ids), this.connectionCounts(ids)]);
    const day = utcDay();
    return rows.map((r) => vendorView(r, versions.get(r.id) ?? [], counts.get(r.id) ?? 0, day));
  }

  private fields(input: CreateVendorDto | UpdateVendorDto) {
    if (input.name === null)
      throw new RegistryInvalidError('name cannot be cleared', [
        { field: 'name', message: 'must not be null' },
      ]);
    const problems = checkTransfers('transfers', input.transfers);
    if (problems.length)
      throw new RegistryInvalidError(problems.map((p) => `${p.field} ${p.message}`).join('; '), problems);
    return Object.entries(input)
      .filter(([key, value]) => value !== undefined && key in WRITABLE)
      .map(([key, value]) => ({ column: key, value: WRITABLE[key](value) }));
  }

  private nameTaken(error: unknown): never {
    if (isUniqueViolation(error, 'uq_vendor_name'))
      throw new RegistryConflictError('A vendor with this name exists.', [
        { field: 'name', message: 'is taken' },
      ]);
    throw error;
  }

  async create(input: CreateVendorDto) {
    const fields = this.fields(input);
    const rows = await this.dataSource
      .query<{ id: string }[]>(
        `INSERT INTO vendor (${fields.map((f) => f.column).join(', ')})
         VALUES (${fields.map((f, i) => `$${i + 1}${CAST[f.column] ?? ''}`).join(', ')}) RETURNING id`,
        fields.map((f) => f.value),
      )
      .catch((error: unknown) => this.nameTaken(error));
    return this.get(rows[0].id);
  }

  async update(id: string, input: UpdateVendorDto) {
    await this.row(id);
    const fields = this.fields(input);
    if (fields.length) {
      await this.dataSource
        .query(
          `UPDATE vendor SET ${fields.map((f, i) => `${f.column} = $${i + 2}${CAST[f.column] ?? ''}`).join(', ')},
                  updated_at = now() WHERE id = $1`,
          [id, ...fields.map((f) => f.value)],
        )
        .catch((error: unknown) => this.nameTaken(error));
    }
    return this.get(id);
  }

  async list(query: VendorQueryDto) {
    const rows: VendorRow[] = await this.dataSource.query(
      `SELECT ${VENDOR_COLUMNS} FROM vendor v
        WHERE ($1::text IS NULL OR v.role = $1) AND ($2::text IS NULL OR v.risk_tier = $2)
          AND ($3::text IS NULL OR v.name ILIKE '%' || $3 || '%' OR v.legal_name ILIKE '%' || $3 || '%')
        ORDER BY lower(v.name), v.id`,
      [query.role ?? null, query.risk_tier ?? null, query.q?.replace(/[%_\\]/g, (c) => `\\${c}`) ?? null],
    );
    const vendors = (await this.views(rows)).filter(
      (v) =>
        (!query.dpa_status || v.dpa_status === query.dpa_status) &&
        (query.has_connections === undefined || v.connection_count > 0 === query.has_connections),
    );
    return { vendors };
  }

  /** One vendor with its agreement (current and history), sub-processors, connections and delivery figures. */
  async get(id: string) {
    const row = await this.row(id);
    const [view] = await this.views([row]);
    const day = utcDay();
    const versions = (await this.dpas.versionsOf([id])).get(id) ?? [];
    const subs = await this.subProcessorsOf([id]);
    const processorOf: { id: string; name: string }[] = await this.dataSource.query(
      `SELECT v.id, v.name FROM vendor_sub_processor s JOIN vendor v ON v.id = s.vendor_id
        WHERE s.sub_processor_id = $1 ORDER BY lower(v.name)`,
      [id],
    );
    return {
      ...view,
      dpa_history: versions.map((v) => dpaView(v, day)),
      sub_processors: subs.get(id) ?? [],
      processor_of: processorOf,
      connections: await this.connectionStats(id),
    };
  }

  async subProcessorsOf(vendorIds: readonly string[]) {
    const rows: {
      vendor_id: string;
      sub_processor_id: string;
      name: string;
      role: string | null;
      country: string | null;
      notified_at: Date | null;
      objection_deadline: string | null;
    }[] = await this.dataSource.query(
      `SELECT s.vendor_id, s.sub_processor_id, v.name, v.role, v.country, s.notified_at,
              s.objection_deadline::text AS objection_deadline
         FROM vendor_sub_processor s JOIN vendor v ON v.id = s.sub_processor_id
        WHERE s.vendor_id = ANY($1) ORDER BY lower(v.name)`,
      [vendorIds],
    );
    const versions = await this.dpas.versionsOf([...new Set(rows.map((r) => r.sub_processor_id))]);
    const day = utcDay();
    const out = new Map<string, ReturnType<typeof subView>[]>();
    function subView(r: (typeof rows)[number]) {
      const position = dpaPosition(versions.get(r.sub_processor_id) ?? [], day);
      return {
        vendor_id: r.sub_processor_id,
        name: r.name,
        role: r.role,
        country: r.country,
        notified_at: iso(r.notified_at),
        objection_deadline: r.objection_deadline,
        dpa_status: position.dpa_status,
        dpa_valid: position.dpa_valid,
      };
    }
    for (const r of rows) out.set(r.vendor_id, [...(out.get(r.vendor_id) ?? []), subView(r)]);
    return out;
  }

  private async connectionStats(vendorId: string) {
    const rows: ConnectionStatsRow[] = await this.dataSource.query(
      `SELECT c.id, c.name, c.type, c.status, c.created_at,
              count(d.id) FILTER (WHERE d.status = 'succeeded')::int AS succeeded,
              count(d.id) FILTER (WHERE d.status = 'dead')::int AS dead,
              count(d.id) FILTER (WHERE d.status IN ('pending','retrying','in_progress'))::int AS pending,
              count(d.id) FILTER (WHERE d.status = 'skipped')::int AS skipped,
              count(d.id) FILTER (WHERE d.status = 'skipped' AND d.reason = $2)::int AS held_dpa_missing,
              count(d.id) FILTER (WHERE $2 = ANY(d.flags))::int AS flagged_dpa_missing,
              count(d.id) FILTER (WHERE d.created_at >= now() - interval '30 days')::int AS total_30d,
              count(d.id) FILTER (WHERE d.status = 'succeeded' AND d.created_at >= now() - interval '30 days')::int AS succeeded_30d,
              count(d.id) FILTER (WHERE d.status = 'dead' AND d.created_at >= now() - interval '30 days')::int AS dead_30d,
              count(d.id) FILTER (WHERE d.status IN ('pending','retrying','in_progress')
                                   AND d.created_at >= now() - interval '30 days')::int AS pending_30d,
              count(d.id) FILTER (WHERE d.status = 'skipped' AND d.created_at >= now() - interval '30 days')::int AS skipped_30d,
              max(d.completed_at) FILTER (WHERE d.status = 'succeeded') AS last_succeeded_at
         FROM connection c LEFT JOIN delivery d ON d.connection_id = c.id
        WHERE c.vendor_id = $1 GROUP BY c.id ORDER BY c.created_at`,
      [vendorId, DPA_MISSING],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      type: r.type,
      status: r.status,
      deliveries: {
        succeeded: r.succeeded,
        dead: r.dead,
        pending: r.pending,
        skipped: r.skipped,
        held_dpa_missing: r.held_dpa_missing,
        flagged_dpa_missing: r.flagged_dpa_missing,
        last_succeeded_at: iso(r.last_succeeded_at),
        last_30_days: {
          total: r.total_30d,
          succeeded: r.succeeded_30d,
          dead: r.dead_30d,
          pending: r.pending_30d,
          skipped: r.skipped_30d,
        },
      },
    }));
  }

  async addSubProcessor(vendorId: string, input: AddSubProcessorDto) {
    await this.row(vendorId);
    if (input.sub_processor_id === vendorId)
      throw new RegistryInvalidError('A vendor cannot be its own sub-processor.', [
        { field: 'sub_processor_id', message: 'must not be the vendor itself' },
      ]);
    const sub: unknown[] = await this.dataSource.query(`SELECT 1 FROM vendor WHERE id = $1`, [
      input.sub_processor_id,
    ]);
    if (!sub.length)
      throw new RegistryInvalidError('No such vendor: record the sub-processor as a vendor first.', [
        { field: 'sub_processor_id', message: 'names no vendor' },
      ]);
    await this.dataSource
      .query(
        `INSERT INTO vendor_sub_processor (vendor_id, sub_processor_id, notified_at, objection_deadline)
         VALUES ($1, $2, $3, $4::date)`,
        [vendorId, input.sub_processor_id, input.notified_at ?? null, input.objection_deadline ?? null],
      )
      .catch((error: unknown) => {
        if (isUniqueViolation(error, 'pk_vendor_sub_processor'))
          throw new RegistryConflictError('Already a sub-processor of this vendor.', [
            { field: 'sub_processor_id', message: 'is already linked' },
          ]);
        throw error;
      });
    return { sub_processors: (await this.subProcessorsOf([vendorId])).get(vendorId) ?? [] };
  }

  async removeSubProcessor(vendorId: string, subId: string) {
    await this.row(vendorId);
    const [, count]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM vendor_sub_processor WHERE vendor_id = $1 AND sub_processor_id = $2`,
      [vendorId, subId],
    );
    if (count === 0) throw new VendorNotFoundError(`Vendor ${subId} is not a sub-processor of ${vendorId}`);
    return { sub_processors: (await this.subProcessorsOf([vendorId])).get(vendorId) ?? [] };
  }
}
