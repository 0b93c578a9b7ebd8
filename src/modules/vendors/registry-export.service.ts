import { Injectable } from '@nestjs/common';
import { toCsv } from './csv';
import { DpaService } from './dpa.service';
import { utcDay } from './dpa-validity';
import { ProcessingActivityService } from './processing-activity.service';
import { RegistryInvalidError } from './registry.errors';
import { dpaView } from './registry.views';
import { DPA_MISSING, type Transfer } from './registry.types';
import { VendorUsage } from './vendor-usage.port';
import { VendorService } from './vendor.service';

/** Most deliveries one evidence pack lists; a longer period is asked for in parts. */
const EVIDENCE_LIMIT = 50_000;
const DAY_MS = 86_400_000;

function transfersText(transfers: readonly (Transfer & { vendor?: string })[]): string[] {
  return transfers.map(
    (t) =>
      `${t.vendor ? `${t.vendor}: ` : ''}${t.country} (${t.mechanism}${t.mechanism === 'sccs' && t.sccs_module ? ` module ${t.sccs_module}` : ''})`,
  );
}

const ROPA_COLUMNS = [
  'id',
  'name',
  'purpose',
  'legal_basis',
  'legitimate_interest',
  'data_categories',
  'data_subjects',
  'recipients',
  'transfers',
  'retention',
  'security_measures',
  'dpia_required',
  'dpia_reference',
  'controller_contact',
  'status',
  'updated_at',
] as const;

const VENDOR_CSV_COLUMNS = [
  'id',
  'name',
  'legal_name',
  'country',
  'website',
  'privacy_contact_email',
  'role',
  'services',
  'data_categories',
  'data_subject_categories',
  'purposes',
  'transfers',
  'risk_tier',
  'owner',
  'next_review_at',
  'connections',
  'dpa_version',
  'dpa_status',
  'dpa_valid',
  'dpa_signed_at',
  'dpa_effective_from',
  'dpa_expires_at',
  'dpa_document_sha256',
  'sub_processors',
  'missing_facts',
  'archived_at',
] as const;

/** The registry as documents: the Art. 30 record, the vendor list, and per-vendor evidence packs. */
@Injectable()
export class RegistryExportService {
  constructor(
    private readonly usage: VendorUsage,
    private readonly vendors: VendorService,
    private readonly dpas: DpaService,
    private readonly activities: ProcessingActivityService,
  ) {}

  async ropa() {
    const activities = await this.activities.list();
    return {
      generated_at: new Date().toISOString(),
      record: 'GDPR Art. 30(1)',
      processing_activities: activities,
    };
  }

  async ropaCsv(): Promise<string> {
    const { processing_activities } = await this.ropa();
    return toCsv(
      ROPA_COLUMNS,
      processing_activities.map((a) => ({
        ...a,
        recipients: a.recipients.map((r) => r.name),
        transfers: transfersText([...a.transfers, ...a.recipient_transfers]),
      })),
    );
  }

  async vendorsCsv(): Promise<string> {
    const { vendors } = await this.vendors.list({ archived: 'include' });
    const subs = await this.vendors.subProcessorsOf(vendors.map((v) => v.id));
    return toCsv(
      VENDOR_CSV_COLUMNS,
      vendors.map((v) => ({
        ...v,
        transfers: transfersText(v.transfers),
        connections: v.connection_count,
        dpa_version: v.dpa?.version ?? null,
        dpa_signed_at: v.dpa?.signed_at ?? null,
        dpa_effective_from: v.dpa?.effective_from ?? null,
        dpa_expires_at: v.dpa?.expires_at ?? null,
        dpa_document_sha256: v.dpa?.document?.sha256 ?? null,
        sub_processors: (subs.get(v.id) ?? []).map((s) => s.name),
      })),
    );
  }

  /** What a DPO hands an auditor: the vendor, its agreement, and every delivery to it in the period. */
  async evidencePack(vendorId: string, fromRaw?: string, toRaw?: string) {
    const to = toRaw ? new Date(toRaw) : new Date();
    const from = fromRaw ? new Date(fromRaw) : new Date(to.getTime() - 365 * DAY_MS);
    if (from >= to)
      throw new RegistryInvalidError('from must be before to', [
        { field: 'from', message: 'must be before to' },
      ]);
    const vendor = await this.vendors.get(vendorId);
    const day = utcDay();
    const versions = (await this.dpas.versionsOf([vendorId])).get(vendorId) ?? [];
    const deliveries = await this.usage.deliveriesOfVendor(vendorId, from, to, EVIDENCE_LIMIT + 1);
    const truncated = deliveries.length > EVIDENCE_LIMIT;
    const listed = deliveries.slice(0, EVIDENCE_LIMIT);
    const byStatus: Record<string, number> = {};
    for (const d of listed) byStatus[d.status] = (byStatus[d.status] ?? 0) + 1;
    const { connections, ...facts } = vendor;
    delete (facts as Partial<typeof facts>).dpa_history;
    return {
      generated_at: new Date().toISOString(),
      period: { from: from.toISOString(), to: to.toISOString() },
      vendor: facts,
      dpa: {
        current: vendor.dpa,
        valid_today: vendor.dpa_valid,
        history: versions.map((v) => dpaView(v, day)),
      },
      connections: connections.map((c) => ({ id: c.id, name: c.name, type: c.type, status: c.status })),
      summary: {
        deliveries: listed.length,
        by_status: byStatus,
        held_dpa_missing: listed.filter((d) => d.status === 'skipped' && d.reason === DPA_MISSING).length,
        flagged_dpa_missing: listed.filter((d) => d.flags.includes(DPA_MISSING)).length,
        truncated,
      },
      deliveries: listed.map((d) => ({
        id: d.id,
        connection_id: d.connection_id,
        connection_name: d.connection_name,
        subject_id: d.subject_id,
        operation: d.operation,
        status: d.status,
        reason: d.reason,
        flags: d.flags,
        attempts: d.attempts,
        last_error_class: d.last_error_class,
        vendor_reference: d.vendor_reference,
        created_at: new Date(d.created_at).toISOString(),
        completed_at: d.completed_at ? new Date(d.completed_at).toISOString() : null,
      })),
    };
  }
}
