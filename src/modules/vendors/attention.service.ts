import { Injectable } from '@nestjs/common';
import { daysBetween, utcDay } from './dpa-validity';
import { VendorSubProcessorRepository } from './vendor-sub-processor.repository';
import { VendorUsage } from './vendor-usage.port';
import { VendorService } from './vendor.service';

/** Which bucket an expiry falls in: within 30, 60 or 90 days (exclusive buckets), or none. */
export function expiryBucket(daysLeft: number): 30 | 60 | 90 | null {
  if (daysLeft <= 0) return null;
  if (daysLeft <= 30) return 30;
  if (daysLeft <= 60) return 60;
  if (daysLeft <= 90) return 90;
  return null;
}

/**
 * What needs the DPO: agreements running out, agreements recorded as signed that do not count (and why),
 * vendors receiving data without a valid one, overdue reviews.
 */
@Injectable()
export class AttentionService {
  constructor(
    private readonly usage: VendorUsage,
    private readonly subProcessorRows: VendorSubProcessorRepository,
    private readonly vendors: VendorService,
  ) {}

  async report() {
    const day = utcDay();
    const { vendors } = await this.vendors.list({});
    const held = await this.usage.heldAndFlaggedByVendor();
    const heldBy = new Map(held.map((h) => [h.vendor_id, h]));

    const expiring = {
      within_30_days: [] as object[],
      within_60_days: [] as object[],
      within_90_days: [] as object[],
    };
    for (const v of vendors) {
      if (!v.dpa || !v.dpa_valid || v.dpa.status !== 'signed' || !v.dpa.expires_at) continue;
      const daysLeft = daysBetween(day, v.dpa.expires_at);
      const bucket = expiryBucket(daysLeft);
      if (!bucket) continue;
      expiring[`within_${bucket}_days`].push({
        vendor_id: v.id,
        vendor_name: v.name,
        dpa_id: v.dpa.id,
        version: v.dpa.version,
        expires_at: v.dpa.expires_at,
        days_left: daysLeft,
      });
    }

    const withoutValidDpa = vendors
      .filter((v) => v.connection_count > 0 && !v.dpa_valid)
      .map((v) => ({
        vendor_id: v.id,
        vendor_name: v.name,
        connections: v.connection_count,
        dpa_status: v.dpa_status,
        held_deliveries: heldBy.get(v.id)?.held ?? 0,
        flagged_deliveries: heldBy.get(v.id)?.flagged ?? 0,
      }));

    // Signed on paper only: the gate does not count them, whether or not a connection uses the vendor yet.
    const dpasIncomplete = vendors
      .filter((v) => v.dpa && v.dpa_status === 'incomplete')
      .map((v) => ({
        vendor_id: v.id,
        vendor_name: v.name,
        dpa_id: v.dpa!.id,
        version: v.dpa!.version,
        incomplete: v.dpa!.incomplete,
        clauses_missing: v.dpa!.clauses_missing,
        signed_at: v.dpa!.signed_at,
      }));

    const reviewsOverdue: object[] = [];
    for (const v of vendors) {
      if (v.next_review_at && v.next_review_at < day)
        reviewsOverdue.push({ kind: 'vendor', vendor_id: v.id, vendor_name: v.name, due: v.next_review_at });
      if (v.dpa?.review_due_at && v.dpa.review_due_at < day)
        reviewsOverdue.push({
          kind: 'dpa',
          vendor_id: v.id,
          vendor_name: v.name,
          dpa_id: v.dpa.id,
          version: v.dpa.version,
          due: v.dpa.review_due_at,
        });
    }

    // A sub-processor link always names a vendor row; what can be missing is that row's own facts.
    const links = await this.subProcessorRows.processorNamesBySubProcessor();
    const byId = new Map(vendors.map((v) => [v.id, v]));
    const subProcessorsIncomplete = links.flatMap((l) => {
      const v = byId.get(l.sub_processor_id);
      if (!v) return [];
      const missing = [...(v.dpa_valid ? [] : ['dpa']), ...(v.role ? [] : ['role'])];
      return missing.length
        ? [
            {
              vendor_id: v.id,
              vendor_name: v.name,
              processor_of: l.processor_names,
              missing,
              dpa_status: v.dpa_status,
            },
          ]
        : [];
    });

    // Vendors receiving data whose role or country is not recorded (often ones a connection created).
    const incomplete = vendors
      .filter((v) => v.connection_count > 0 && v.missing_facts.length > 0)
      .map((v) => ({ vendor_id: v.id, vendor_name: v.name, missing: v.missing_facts }));

    return {
      generated_at: new Date().toISOString(),
      day,
      counts: {
        expiring_within_30_days: expiring.within_30_days.length,
        expiring_within_60_days: expiring.within_60_days.length,
        expiring_within_90_days: expiring.within_90_days.length,
        dpas_incomplete: dpasIncomplete.length,
        vendors_without_valid_dpa: withoutValidDpa.length,
        reviews_overdue: reviewsOverdue.length,
        sub_processors_incomplete: subProcessorsIncomplete.length,
        vendors_missing_role_or_country: incomplete.length,
        held_deliveries: held.reduce((n, h) => n + h.held, 0),
      },
      expiring,
      dpas_incomplete: dpasIncomplete,
      vendors_without_valid_dpa: withoutValidDpa,
      reviews_overdue: reviewsOverdue,
      sub_processors_incomplete: subProcessorsIncomplete,
      vendors_missing_role_or_country: incomplete,
    };
  }
}
