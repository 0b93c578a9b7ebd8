import { Injectable } from '@nestjs/common';
import { DpaService } from './dpa.service';
import { utcDay } from './dpa-validity';
import { checkTransfers, transfersArray } from './dto/registry-common.dto';
import type {
  AddSubProcessorDto,
  CreateVendorDto,
  UpdateSubProcessorDto,
  UpdateVendorDto,
  VendorQueryDto,
} from './dto/vendor.dto';
import { ProcessingActivityRepository } from './processing-activity.repository';
import {
  isUniqueViolation,
  RegistryConflictError,
  RegistryInvalidError,
  VendorNotFoundError,
} from './registry.errors';
import { dpaPosition, dpaView, vendorView, type VendorRow } from './registry.views';
import { VendorSubProcessorRepository } from './vendor-sub-processor.repository';
import { VendorUsage } from './vendor-usage.port';
import { VendorRepository, type VendorWrite } from './vendor.repository';

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
  transfers: (v) => transfersArray((v as Parameters<typeof transfersArray>[0] | null) ?? []),
  risk_tier: (v) => v ?? null,
  owner: (v) => v ?? null,
  next_review_at: (v) => v ?? null,
  notes: (v) => v ?? null,
};

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** The vendor registry: who the processors are, what they hold, under which agreement. */
@Injectable()
export class VendorService {
  constructor(
    private readonly vendorRows: VendorRepository,
    private readonly subProcessorRows: VendorSubProcessorRepository,
    private readonly usage: VendorUsage,
    private readonly dpas: DpaService,
    private readonly activityRows: ProcessingActivityRepository,
  ) {}

  private async row(id: string): Promise<VendorRow> {
    const row = await this.vendorRows.findRow(id);
    if (!row) throw new VendorNotFoundError(`No vendor ${id}`);
    return row;
  }

  private async views(rows: VendorRow[]) {
    const ids = rows.map((r) => r.id);
    const [versions, counts] = await Promise.all([
      this.dpas.versionsOf(ids),
      this.usage.connectionCounts(ids),
    ]);
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
    return Object.fromEntries(
      Object.entries(input)
        .filter(([key, value]) => value !== undefined && key in WRITABLE)
        .map(([key, value]) => [key, WRITABLE[key](value)]),
    ) as VendorWrite;
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
    const id = await this.vendorRows.insert(fields).catch((error: unknown) => this.nameTaken(error));
    return this.get(id);
  }

  async update(id: string, input: UpdateVendorDto) {
    const row = await this.row(id);
    const fields = this.fields(input);
    if (input.archived === true && !row.archived_at) await this.mayArchive(row);
    if (Object.keys(fields).length) {
      await this.vendorRows.update(id, fields).catch((error: unknown) => this.nameTaken(error));
    }
    if (input.archived !== undefined && input.archived !== (row.archived_at !== null))
      await this.vendorRows.setArchived(id, input.archived ? new Date() : null);
    return this.get(id);
  }

  /**
   * A vendor is archived only when nothing in use still names it: no live connection (personal data may
   * still flow to it) and no processing activity in use listing it as a recipient (the Art. 30 record
   * would name a vendor the registry hides).
   */
  private async mayArchive(row: VendorRow) {
    const live = (await this.usage.connectionCounts([row.id])).get(row.id) ?? 0;
    if (live > 0)
      throw new RegistryConflictError(
        `${row.name} still has ${live === 1 ? 'a live connection' : `${live} live connections`}: disconnect ${live === 1 ? 'it' : 'them'} before archiving the vendor.`,
        [{ field: 'archived', message: 'is refused while the vendor has live connections' }],
      );
    const activities = await this.activityRows.namesWithRecipient(row.id);
    if (activities.length)
      throw new RegistryConflictError(
        `${row.name} receives data in ${activities.map((a) => `“${a}”`).join(', ')}: remove it from ${activities.length === 1 ? 'that processing activity' : 'those processing activities'} (or mark ${activities.length === 1 ? 'it' : 'them'} no longer used) before archiving the vendor.`,
        [
          {
            field: 'archived',
            message: 'is refused while the vendor is a recipient of a processing activity',
          },
        ],
      );
  }

  async list(query: VendorQueryDto) {
    const rows = await this.vendorRows.search({
      role: query.role ?? null,
      riskTier: query.risk_tier ?? null,
      search: query.q?.replace(/[%_\\]/g, (c) => `\\${c}`) ?? null,
      archived: query.archived ?? 'exclude',
    });
    const vendors = (await this.views(rows)).filter(
      (v) =>
        (!query.dpa_status || v.dpa_status === query.dpa_status) &&
        (query.dpa_expiring === undefined || (v.dpa_expires_in_days !== null) === query.dpa_expiring) &&
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
    const processorOf = await this.subProcessorRows.processorsOf(id);
    return {
      ...view,
      dpa_history: versions.map((v) => dpaView(v, day)),
      sub_processors: subs.get(id) ?? [],
      processor_of: processorOf,
      connections: await this.connectionStats(id),
    };
  }

  // ---- for the connectors module, which records a vendor for every connection ----

  async subProcessorsOf(vendorIds: readonly string[]) {
    const rows = await this.subProcessorRows.subProcessorsOf(vendorIds);
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
        service: r.service,
        archived_at: iso(r.archived_at),
        dpa_status: position.dpa_status,
        dpa_valid: position.dpa_valid,
      };
    }
    for (const r of rows) out.set(r.vendor_id, [...(out.get(r.vendor_id) ?? []), subView(r)]);
    return out;
  }

  private async connectionStats(vendorId: string) {
    const rows = await this.usage.connectionStats(vendorId);
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
    if (!(await this.vendorRows.exists(input.sub_processor_id)))
      throw new RegistryInvalidError('No such vendor: record the sub-processor as a vendor first.', [
        { field: 'sub_processor_id', message: 'names no vendor' },
      ]);
    if ((await this.vendorRows.archivedIds([input.sub_processor_id])).length)
      throw new RegistryInvalidError('That vendor is archived: bring it back before engaging it again.', [
        { field: 'sub_processor_id', message: 'names an archived vendor' },
      ]);
    await this.subProcessorRows
      .insert({
        vendor_id: vendorId,
        sub_processor_id: input.sub_processor_id,
        notified_at: input.notified_at,
        objection_deadline: input.objection_deadline,
        service: input.service,
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error, 'pk_vendor_sub_processor'))
          throw new RegistryConflictError('Already a sub-processor of this vendor.', [
            { field: 'sub_processor_id', message: 'is already linked' },
          ]);
        throw error;
      });
    return { sub_processors: (await this.subProcessorsOf([vendorId])).get(vendorId) ?? [] };
  }

  /** One sub-processor link of the vendor, as the vendor page lists it. */
  async subProcessor(vendorId: string, subId: string) {
    await this.row(vendorId);
    const link = ((await this.subProcessorsOf([vendorId])).get(vendorId) ?? []).find(
      (s) => s.vendor_id === subId,
    );
    if (!link) throw new VendorNotFoundError(`Vendor ${subId} is not a sub-processor of ${vendorId}`);
    return link;
  }

  async updateSubProcessor(vendorId: string, subId: string, input: UpdateSubProcessorDto) {
    await this.row(vendorId);
    if (!(await this.subProcessorRows.update(vendorId, subId, input)))
      throw new VendorNotFoundError(`Vendor ${subId} is not a sub-processor of ${vendorId}`);
    return this.subProcessor(vendorId, subId);
  }

  async removeSubProcessor(vendorId: string, subId: string) {
    await this.row(vendorId);
    if (!(await this.subProcessorRows.delete(vendorId, subId)))
      throw new VendorNotFoundError(`Vendor ${subId} is not a sub-processor of ${vendorId}`);
    return { sub_processors: (await this.subProcessorsOf([vendorId])).get(vendorId) ?? [] };
  }
}
