import {
  dpaGaps,
  effectiveDpaStatus,
  expiresSoonIn,
  governingVersion,
  isDpaValidOn,
  missingClauses,
  type EffectiveDpaStatus,
  type GateTerms,
} from './dpa-validity';
import {
  DPA_CLAUSES,
  type DpaClause,
  type DpaDocumentType,
  type DpaStatus,
  type RiskTier,
  type Transfer,
  type VendorRole,
} from './registry.types';
import { missingFacts } from './vendor-completeness';

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

/** Columns of a vendor row; calendar days are read as text so no time zone shifts them. */
export const VENDOR_COLUMNS = `v.id, v.name, v.legal_name, v.country, v.website, v.privacy_contact_email, v.role, v.services,
  v.data_categories, v.data_subject_categories, v.purposes, v.transfers, v.risk_tier, v.owner,
  v.next_review_at::text AS next_review_at, v.notes, v.created_at, v.updated_at, v.archived_at`;

export interface VendorRow {
  id: string;
  name: string;
  legal_name: string | null;
  country: string | null;
  website: string | null;
  privacy_contact_email: string | null;
  role: VendorRole | null;
  services: string[];
  data_categories: string[];
  data_subject_categories: string[];
  purposes: string[];
  transfers: Transfer[];
  risk_tier: RiskTier | null;
  owner: string | null;
  next_review_at: string | null;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
}

export const DPA_COLUMNS = `d.id, d.vendor_id, d.version, d.status, d.signed_at::text AS signed_at,
  d.effective_from::text AS effective_from, d.expires_at::text AS expires_at, d.review_due_at::text AS review_due_at,
  d.terminated_at, d.status_changed_at, d.status_reason, d.clauses, d.subprocessor_authorization,
  d.subprocessor_notice_days, d.breach_notification_hours, d.dsr_assistance_days, d.counterparty_signatory, d.notes,
  d.document_sha256, d.document_name, d.document_type, d.document_size, d.document_uploaded_at, d.created_at,
  d.created_by, d.updated_at`;

export interface DpaRow {
  id: string;
  vendor_id: string;
  version: number;
  status: DpaStatus;
  signed_at: string | null;
  effective_from: string | null;
  expires_at: string | null;
  review_due_at: string | null;
  terminated_at: Date | null;
  status_changed_at: Date | null;
  status_reason: string | null;
  clauses: Partial<Record<DpaClause, boolean>>;
  subprocessor_authorization: 'specific' | 'general_with_notice' | null;
  subprocessor_notice_days: number | null;
  breach_notification_hours: number | null;
  dsr_assistance_days: number | null;
  counterparty_signatory: string | null;
  notes: string | null;
  document_sha256: string | null;
  document_name: string | null;
  document_type: DpaDocumentType | null;
  document_size: number | null;
  document_uploaded_at: Date | null;
  created_at: Date;
  created_by: string | null;
  updated_at: Date;
}

/** The facts of a stored version the validity rules read. */
export function gateTermsOf(row: DpaRow): GateTerms {
  return {
    status: row.status,
    signed_at: row.signed_at,
    effective_from: row.effective_from,
    expires_at: row.expires_at,
    clauses: row.clauses,
    has_document: row.document_sha256 !== null,
  };
}

export function dpaView(row: DpaRow, day: string) {
  const terms = gateTermsOf(row);
  const clauses = Object.fromEntries(DPA_CLAUSES.map((c) => [c, row.clauses[c] === true])) as Record<
    DpaClause,
    boolean
  >;
  return {
    id: row.id,
    vendor_id: row.vendor_id,
    version: row.version,
    status: row.status,
    effective_status: effectiveDpaStatus(terms, day),
    valid: isDpaValidOn(terms, day),
    /** Why a version claiming to be signed does not count (document, clauses, signed_in_future). */
    incomplete: dpaGaps(terms, day),
    expires_in_days: expiresSoonIn(terms, day),
    signed_at: row.signed_at,
    effective_from: row.effective_from,
    expires_at: row.expires_at,
    review_due_at: row.review_due_at,
    terminated_at: iso(row.terminated_at),
    status_changed_at: iso(row.status_changed_at),
    status_reason: row.status_reason,
    clauses,
    clauses_missing: missingClauses(row),
    subprocessor_authorization: row.subprocessor_authorization,
    subprocessor_notice_days: row.subprocessor_notice_days,
    breach_notification_hours: row.breach_notification_hours,
    dsr_assistance_days: row.dsr_assistance_days,
    counterparty_signatory: row.counterparty_signatory,
    notes: row.notes,
    document: row.document_sha256
      ? {
          sha256: row.document_sha256,
          name: row.document_name,
          type: row.document_type,
          size: row.document_size,
          uploaded_at: iso(row.document_uploaded_at),
          href: `/v1/dpas/${row.id}/document`,
        }
      : null,
    created_at: iso(row.created_at),
    created_by: row.created_by,
    updated_at: iso(row.updated_at),
  };
}

/** Where a vendor stands: the governing version, and whether personal data may flow to it today. */
export function dpaPosition(versions: readonly DpaRow[], day: string) {
  const governing = governingVersion(versions);
  const terms = governing ? gateTermsOf(governing) : null;
  return {
    dpa: governing ? dpaView(governing, day) : null,
    dpa_status: effectiveDpaStatus(terms, day) satisfies EffectiveDpaStatus,
    dpa_valid: isDpaValidOn(terms, day),
    dpa_expires_in_days: expiresSoonIn(terms, day),
  };
}

export function vendorView(
  row: VendorRow,
  versions: readonly DpaRow[],
  connectionCount: number,
  day: string,
) {
  return {
    id: row.id,
    name: row.name,
    legal_name: row.legal_name,
    country: row.country,
    website: row.website,
    privacy_contact_email: row.privacy_contact_email,
    role: row.role,
    services: row.services,
    data_categories: row.data_categories,
    data_subject_categories: row.data_subject_categories,
    purposes: row.purposes,
    transfers: row.transfers,
    risk_tier: row.risk_tier,
    owner: row.owner,
    next_review_at: row.next_review_at,
    notes: row.notes,
    connection_count: connectionCount,
    /** Role or country missing: the vendor is incomplete (vendor-completeness.ts). */
    missing_facts: missingFacts(row),
    archived_at: iso(row.archived_at),
    ...dpaPosition(versions, day),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
