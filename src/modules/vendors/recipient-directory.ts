import { Injectable } from '@nestjs/common';
import { DpaRepository } from './dpa.repository';
import { utcDay } from './dpa-validity';
import { ProcessingActivityRepository } from './processing-activity.repository';
import { dpaPosition } from './registry.views';
import type { Transfer } from './registry.types';
import { VendorRepository } from './vendor.repository';

/** What a person is told of a recipient of their data (Art. 15(1)(c), 28, 44-49). */
export interface RecipientFacts {
  vendorId: string;
  name: string;
  legalName: string | null;
  country: string | null;
  role: string | null;
  privacyContactEmail: string | null;
  transfers: Transfer[];
  dpa: {
    status: string;
    valid: boolean;
    version: number | null;
    signedAt: string | null;
    expiresAt: string | null;
    dsrAssistanceDays: number | null;
    documentSha256: string | null;
  };
}

/**
 * The registry as data-subject requests read it: which vendors receive personal data under the Art. 30 record
 * (recipients of an activity in use), and the facts a person is owed about each recipient.
 */
@Injectable()
export class RecipientDirectory {
  constructor(
    private readonly activities: ProcessingActivityRepository,
    private readonly vendorRows: VendorRepository,
    private readonly dpaRows: DpaRepository,
  ) {}

  /** Every vendor named a recipient of a processing activity that is not deprecated, once, by name. */
  async activityRecipients(): Promise<{ vendorId: string; name: string }[]> {
    const byId = new Map<string, string>();
    for (const activity of await this.activities.list()) {
      if (activity.status === 'deprecated') continue;
      for (const r of activity.recipients) byId.set(r.vendor_id, r.name);
    }
    return [...byId]
      .map(([vendorId, name]) => ({ vendorId, name }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The facts of these vendors (unknown ids are left out), with the agreement that governs today. */
  async factsOf(vendorIds: readonly string[]): Promise<Map<string, RecipientFacts>> {
    const ids = [...new Set(vendorIds)];
    const out = new Map<string, RecipientFacts>();
    if (ids.length === 0) return out;
    const versions = await this.dpaRows.versionsOf(ids);
    const day = utcDay();
    for (const id of ids) {
      const vendor = await this.vendorRows.findRow(id);
      if (!vendor) continue;
      const position = dpaPosition(
        versions.filter((v) => v.vendor_id === id),
        day,
      );
      out.set(id, {
        vendorId: id,
        name: vendor.name,
        legalName: vendor.legal_name,
        country: vendor.country,
        role: vendor.role,
        privacyContactEmail: vendor.privacy_contact_email,
        transfers: vendor.transfers,
        dpa: {
          status: position.dpa_status,
          valid: position.dpa_valid,
          version: position.dpa?.version ?? null,
          signedAt: position.dpa?.signed_at ?? null,
          expiresAt: position.dpa?.expires_at ?? null,
          dsrAssistanceDays: position.dpa?.dsr_assistance_days ?? null,
          documentSha256: position.dpa?.document?.sha256 ?? null,
        },
      });
    }
    return out;
  }
}
