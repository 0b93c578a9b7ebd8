import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { checkTransfers, transfersArray } from './dto/registry-common.dto';
import type { CreateProcessingActivityDto, UpdateProcessingActivityDto } from './dto/processing-activity.dto';
import {
  isUniqueViolation,
  ProcessingActivityNotFoundError,
  RegistryConflictError,
  RegistryInvalidError,
} from './registry.errors';
import {
  ProcessingActivityRepository,
  type ActivityRow,
  type ActivityWrite,
} from './processing-activity.repository';
import { VendorRepository } from './vendor.repository';

const WRITABLE: Record<string, (value: unknown) => unknown> = {
  name: (v) => v,
  purpose: (v) => v,
  legal_basis: (v) => v,
  legitimate_interest: (v) => v ?? null,
  data_categories: (v) => v ?? [],
  data_subjects: (v) => v ?? [],
  transfers: (v) => transfersArray((v as Parameters<typeof transfersArray>[0] | null) ?? []),
  retention: (v) => v ?? null,
  security_measures: (v) => v ?? null,
  dpia_required: (v) => v ?? false,
  dpia_reference: (v) => v ?? null,
  controller_contact: (v) => v ?? null,
  status: (v) => v ?? 'draft',
};

export function activityView(row: ActivityRow) {
  return {
    id: row.id,
    name: row.name,
    purpose: row.purpose,
    legal_basis: row.legal_basis,
    legitimate_interest: row.legitimate_interest,
    data_categories: row.data_categories,
    data_subjects: row.data_subjects,
    recipients: row.recipients.map((r) => ({
      vendor_id: r.vendor_id,
      name: r.name,
      role: r.role,
      country: r.country,
    })),
    transfers: row.transfers,
    /** Third-country transfers the recipients make (their own registry entries). */
    recipient_transfers: row.recipients.flatMap((r) => r.transfers.map((t) => ({ vendor: r.name, ...t }))),
    retention: row.retention,
    security_measures: row.security_measures,
    dpia_required: row.dpia_required,
    dpia_reference: row.dpia_reference,
    controller_contact: row.controller_contact,
    status: row.status,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export type ActivityView = ReturnType<typeof activityView>;

/** The Art. 30 record of processing activities, with its recipients resolved to registry vendors. */
@Injectable()
export class ProcessingActivityService {
  constructor(
    private readonly activities: ProcessingActivityRepository,
    private readonly vendors: VendorRepository,
  ) {}

  async list(): Promise<ActivityView[]> {
    return (await this.activities.list()).map(activityView);
  }

  async get(id: string): Promise<ActivityView> {
    const row = await this.activities.findRow(id);
    if (!row) throw new ProcessingActivityNotFoundError(`No processing activity ${id}`);
    return activityView(row);
  }

  async create(input: CreateProcessingActivityDto): Promise<ActivityView> {
    const id = await this.activities.inTransaction(async (manager) => {
      const fields = this.fields(input, null);
      const created = await this.activities
        .insert(manager, fields)
        .catch((error: unknown) => this.conflict(error));
      await this.setRecipients(manager, created, input.recipients ?? []);
      return created;
    });
    return this.get(id);
  }

  async update(id: string, input: UpdateProcessingActivityDto): Promise<ActivityView> {
    const current = await this.get(id);
    await this.activities.inTransaction(async (manager) => {
      const fields = this.fields(input, current);
      if (Object.keys(fields).length)
        await this.activities.update(manager, id, fields).catch((error: unknown) => this.conflict(error));
      if (input.recipients !== undefined)
        await this.setRecipients(
          manager,
          id,
          input.recipients ?? [],
          current.recipients.map((r) => r.vendor_id),
        );
    });
    return this.get(id);
  }

  private fields(input: UpdateProcessingActivityDto, current: ActivityView | null) {
    const problems = checkTransfers('transfers', input.transfers);
    for (const required of ['name', 'purpose', 'legal_basis'] as const)
      if (input[required] === null) problems.push({ field: required, message: 'must not be null' });
    const basis = input.legal_basis ?? current?.legal_basis;
    const interest =
      input.legitimate_interest !== undefined ? input.legitimate_interest : current?.legitimate_interest;
    if (basis === 'legitimate_interests' && !interest)
      problems.push({ field: 'legitimate_interest', message: 'is required with legitimate_interests' });
    if (problems.length)
      throw new RegistryInvalidError(problems.map((p) => `${p.field} ${p.message}`).join('; '), problems);
    return Object.fromEntries(
      Object.entries(input)
        .filter(([key, value]) => value !== undefined && key in WRITABLE)
        .map(([key, value]) => [key, WRITABLE[key](value)]),
    ) as ActivityWrite;
  }

  private conflict(error: unknown): never {
    if (isUniqueViolation(error, 'uq_processing_activity_name'))
      throw new RegistryConflictError('A processing activity with this name exists.', [
        { field: 'name', message: 'is taken' },
      ]);
    throw error;
  }

  /**
   * Sets the recipients (replacing `before`, the ones the activity had); each must be a registry vendor,
   * and one newly named must not be archived (one already listed may stay).
   */
  private async setRecipients(
    manager: EntityManager,
    id: string,
    vendorIds: readonly string[],
    before: readonly string[] | null = null,
  ) {
    const unique = [...new Set(vendorIds)];
    if (before) await this.activities.removeRecipients(manager, id);
    if (!unique.length) return;
    const known = await this.vendors.existingIds(unique, manager);
    const missing = unique.filter((v) => !known.includes(v));
    if (missing.length)
      throw new RegistryInvalidError(`No vendor ${missing.join(', ')}`, [
        { field: 'recipients', message: `names no vendor: ${missing.join(', ')}` },
      ]);
    const added = unique.filter((v) => !before?.includes(v));
    const archived = await this.vendors.archivedIds(added, manager);
    if (archived.length)
      throw new RegistryInvalidError('An archived vendor cannot be named a recipient.', [
        { field: 'recipients', message: 'names an archived vendor: bring it back first' },
      ]);
    await this.activities.addRecipients(manager, id, unique);
  }
}
