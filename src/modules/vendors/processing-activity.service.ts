import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { checkTransfers, transfersJson } from './dto/registry-common.dto';
import type { CreateProcessingActivityDto, UpdateProcessingActivityDto } from './dto/processing-activity.dto';
import {
  isUniqueViolation,
  ProcessingActivityNotFoundError,
  RegistryConflictError,
  RegistryInvalidError,
} from './registry.errors';
import type { Transfer } from './registry.types';

interface ActivityRow {
  id: string;
  name: string;
  purpose: string;
  legal_basis: string;
  legitimate_interest: string | null;
  data_categories: string[];
  data_subjects: string[];
  transfers: Transfer[];
  retention: string | null;
  security_measures: string | null;
  dpia_required: boolean;
  dpia_reference: string | null;
  controller_contact: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
  recipients: {
    vendor_id: string;
    name: string;
    role: string | null;
    country: string | null;
    transfers: Transfer[];
  }[];
}

const SELECT = `SELECT a.*, coalesce((
    SELECT json_agg(json_build_object('vendor_id', v.id, 'name', v.name, 'role', v.role, 'country', v.country,
                                      'transfers', v.transfers) ORDER BY lower(v.name))
      FROM processing_activity_recipient r JOIN vendor v ON v.id = r.vendor_id
     WHERE r.processing_activity_id = a.id), '[]'::json) AS recipients
  FROM processing_activity a`;

const WRITABLE: Record<string, (value: unknown) => unknown> = {
  name: (v) => v,
  purpose: (v) => v,
  legal_basis: (v) => v,
  legitimate_interest: (v) => v ?? null,
  data_categories: (v) => v ?? [],
  data_subjects: (v) => v ?? [],
  transfers: (v) => transfersJson((v as Parameters<typeof transfersJson>[0] | null) ?? []),
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
  constructor(private readonly dataSource: DataSource) {}

  async list(): Promise<ActivityView[]> {
    const rows: ActivityRow[] = await this.dataSource.query(`${SELECT} ORDER BY lower(a.name), a.id`);
    return rows.map(activityView);
  }

  async get(id: string): Promise<ActivityView> {
    const rows: ActivityRow[] = await this.dataSource.query(`${SELECT} WHERE a.id = $1`, [id]);
    if (!rows[0]) throw new ProcessingActivityNotFoundError(`No processing activity ${id}`);
    return activityView(rows[0]);
  }

  async create(input: CreateProcessingActivityDto): Promise<ActivityView> {
    const id = await this.dataSource.transaction(async (manager) => {
      const fields = this.fields(input, null);
      const rows = await manager
        .query<{ id: string }[]>(
          `INSERT INTO processing_activity (${fields.map((f) => f.column).join(', ')})
           VALUES (${fields.map((f, i) => `$${i + 1}${f.column === 'transfers' ? '::jsonb' : ''}`).join(', ')})
           RETURNING id`,
          fields.map((f) => f.value),
        )
        .catch((error: unknown) => this.conflict(error));
      await this.setRecipients(manager, rows[0].id, input.recipients ?? []);
      return rows[0].id;
    });
    return this.get(id);
  }

  async update(id: string, input: UpdateProcessingActivityDto): Promise<ActivityView> {
    const current = await this.get(id);
    await this.dataSource.transaction(async (manager) => {
      const fields = this.fields(input, current);
      if (fields.length)
        await manager
          .query(
            `UPDATE processing_activity SET ${fields
              .map((f, i) => `${f.column} = $${i + 2}${f.column === 'transfers' ? '::jsonb' : ''}`)
              .join(', ')}, updated_at = now() WHERE id = $1`,
            [id, ...fields.map((f) => f.value)],
          )
          .catch((error: unknown) => this.conflict(error));
      if (input.recipients !== undefined) {
        await manager.query(`DELETE FROM processing_activity_recipient WHERE processing_activity_id = $1`, [
          id,
        ]);
        await this.setRecipients(manager, id, input.recipients ?? []);
      }
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
    return Object.entries(input)
      .filter(([key, value]) => value !== undefined && key in WRITABLE)
      .map(([key, value]) => ({ column: key, value: WRITABLE[key](value) }));
  }

  private conflict(error: unknown): never {
    if (isUniqueViolation(error, 'uq_processing_activity_name'))
      throw new RegistryConflictError('A processing activity with this name exists.', [
        { field: 'name', message: 'is taken' },
      ]);
    throw error;
  }

  private async setRecipients(manager: EntityManager, id: string, vendorIds: readonly string[]) {
    const unique = [...new Set(vendorIds)];
    if (!unique.length) return;
    const known: { id: string }[] = await manager.query(`SELECT id FROM vendor WHERE id = ANY($1)`, [unique]);
    const missing = unique.filter((v) => !known.some((k) => k.id === v));
    if (missing.length)
      throw new RegistryInvalidError(`No vendor ${missing.join(', ')}`, [
        { field: 'recipients', message: `names no vendor: ${missing.join(', ')}` },
      ]);
    await manager.query(
      `INSERT INTO processing_activity_recipient (processing_activity_id, vendor_id) SELECT $1, unnest($2::uuid[])`,
      [id, unique],
    );
  }
}
