import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { ProcessingActivityRecipientEntity } from './entities/processing-activity-recipient.entity';
import { ProcessingActivityEntity } from './entities/processing-activity.entity';
import type { Transfer } from './registry.types';

export interface ActivityRow {
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

/** The columns a create or a patch writes, already in their stored form. */
export type ActivityWrite = Partial<Omit<ProcessingActivityEntity, 'id' | 'created_at' | 'updated_at'>>;

const SELECT = `SELECT a.*, coalesce((
    SELECT json_agg(json_build_object('vendor_id', v.id, 'name', v.name, 'role', v.role, 'country', v.country,
                                      'transfers', v.transfers) ORDER BY lower(v.name))
      FROM processing_activity_recipient r JOIN vendor v ON v.id = r.vendor_id
     WHERE r.processing_activity_id = a.id), '[]'::json) AS recipients
  FROM processing_activity a`;

/** The processing_activity table and its recipients (processing_activity_recipient). */
@Injectable()
export class ProcessingActivityRepository {
  constructor(
    @InjectRepository(ProcessingActivityEntity) private readonly repo: Repository<ProcessingActivityEntity>,
  ) {}

  /** Runs `work` in one transaction. */
  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(work);
  }

  /** raw SQL: each activity with its recipients aggregated (json_agg) in the same query. */
  list(): Promise<ActivityRow[]> {
    return this.repo.query(`${SELECT} ORDER BY lower(a.name), a.id`);
  }

  /** raw SQL: the activity with its recipients aggregated (json_agg) in the same query. */
  async findRow(id: string): Promise<ActivityRow | null> {
    const rows: ActivityRow[] = await this.repo.query(`${SELECT} WHERE a.id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** raw SQL: a join. The names of the activities in use (not deprecated) that list the vendor as a recipient. */
  async namesWithRecipient(vendorId: string): Promise<string[]> {
    const rows: { name: string }[] = await this.repo.query(
      `SELECT a.name FROM processing_activity a
         JOIN processing_activity_recipient r ON r.processing_activity_id = a.id
        WHERE r.vendor_id = $1 AND a.status <> 'deprecated' ORDER BY lower(a.name)`,
      [vendorId],
    );
    return rows.map((r) => r.name);
  }

  async insert(manager: EntityManager, values: ActivityWrite): Promise<string> {
    const result = await manager
      .getRepository(ProcessingActivityEntity)
      .createQueryBuilder()
      .insert()
      .values(values)
      .returning(['id'])
      .execute();
    return (result.raw as { id: string }[])[0].id;
  }

  async update(manager: EntityManager, id: string, values: ActivityWrite): Promise<void> {
    await manager
      .getRepository(ProcessingActivityEntity)
      .update(id, { ...values, updated_at: () => 'now()' });
  }

  async removeRecipients(manager: EntityManager, id: string): Promise<void> {
    await manager.getRepository(ProcessingActivityRecipientEntity).delete({ processing_activity_id: id });
  }

  /** One insert for all of them. */
  async addRecipients(manager: EntityManager, id: string, vendorIds: readonly string[]): Promise<void> {
    if (!vendorIds.length) return;
    await manager
      .getRepository(ProcessingActivityRecipientEntity)
      .insert(vendorIds.map((vendorId) => ({ processing_activity_id: id, vendor_id: vendorId })));
  }
}
