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
              s.objection_deadline::text AS objection_deadline
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

  async insert(link: {
    vendor_id: string;
    sub_processor_id: string;
    notified_at: string | null;
    objection_deadline: string | null;
  }): Promise<void> {
    await this.repo.insert({ ...link, notified_at: link.notified_at ? new Date(link.notified_at) : null });
  }

  /** Whether a link was there to remove. */
  async delete(vendorId: string, subProcessorId: string): Promise<boolean> {
    const result = await this.repo.delete({ vendor_id: vendorId, sub_processor_id: subProcessorId });
    return (result.affected ?? 0) > 0;
  }
}
