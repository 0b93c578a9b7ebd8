import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { VendorSubProcessorEntity } from './entities/vendor-sub-processor.entity';

export interface SubProcessorRow {
  vendor_id: string;
  sub_processor_id: string;
  name: string;
  role: string | null;
  country: string | null;
  notified_at: Date | null;
  objection_deadline: string | null;
  service: string | null;
  archived_at: Date | null;
}

/** What a link records besides who: when we were told, the last day to object, what it does. */
export interface SubProcessorFacts {
  notified_at?: string | null;
  objection_deadline?: string | null;
  service?: string | null;
}

/** The vendor_sub_processor links: who a processor engages. */
@Injectable()
export class VendorSubProcessorRepository {
  constructor(
    @InjectRepository(VendorSubProcessorEntity) private readonly repo: Repository<VendorSubProcessorEntity>,
  ) {}

  /** raw SQL: a join ordered by lower(name), the objection deadline read as text (a calendar day). */
  subProcessorsOf(vendorIds: readonly string[]): Promise<SubProcessorRow[]> {
    return this.repo.query(
      `SELECT s.vendor_id, s.sub_processor_id, v.name, v.role, v.country, s.notified_at,
              s.objection_deadline::text AS objection_deadline, s.service, v.archived_at
         FROM vendor_sub_processor s JOIN vendor v ON v.id = s.sub_processor_id
        WHERE s.vendor_id = ANY($1) ORDER BY lower(v.name)`,
      [vendorIds],
    );
  }

  /** raw SQL: a join ordered by lower(name). The processors that engage this vendor. */
  processorsOf(subProcessorId: string): Promise<{ id: string; name: string }[]> {
    return this.repo.query(
      `SELECT v.id, v.name FROM vendor_sub_processor s JOIN vendor v ON v.id = s.vendor_id
        WHERE s.sub_processor_id = $1 ORDER BY lower(v.name)`,
      [subProcessorId],
    );
  }

  /** raw SQL: array_agg per sub-processor. Every sub-processor with the names of the processors engaging it. */
  processorNamesBySubProcessor(): Promise<{ sub_processor_id: string; processor_names: string[] }[]> {
    return this.repo.query(
      `SELECT s.sub_processor_id, array_agg(v.name ORDER BY lower(v.name)) AS processor_names
         FROM vendor_sub_processor s JOIN vendor v ON v.id = s.vendor_id GROUP BY s.sub_processor_id`,
    );
  }

  async insert(link: { vendor_id: string; sub_processor_id: string } & SubProcessorFacts): Promise<void> {
    await this.repo.insert({
      vendor_id: link.vendor_id,
      sub_processor_id: link.sub_processor_id,
      notified_at: link.notified_at ? new Date(link.notified_at) : null,
      objection_deadline: link.objection_deadline ?? null,
      service: link.service ?? null,
    });
  }

  /** Changes the facts given (null clears one); whether there was such a link. */
  async update(vendorId: string, subProcessorId: string, facts: SubProcessorFacts): Promise<boolean> {
    const values: Partial<VendorSubProcessorEntity> = {};
    if (facts.notified_at !== undefined)
      values.notified_at = facts.notified_at ? new Date(facts.notified_at) : null;
    if (facts.objection_deadline !== undefined) values.objection_deadline = facts.objection_deadline;
    if (facts.service !== undefined) values.service = facts.service;
    if (!Object.keys(values).length)
      return this.repo.existsBy({ vendor_id: vendorId, sub_processor_id: subProcessorId });
    const result = await this.repo.update({ vendor_id: vendorId, sub_processor_id: subProcessorId }, values);
    return (result.affected ?? 0) > 0;
  }

  /** Whether a link was there to remove. */
  async delete(vendorId: string, subProcessorId: string): Promise<boolean> {
    const result = await this.repo.delete({ vendor_id: vendorId, sub_processor_id: subProcessorId });
    return (result.affected ?? 0) > 0;
  }
}
