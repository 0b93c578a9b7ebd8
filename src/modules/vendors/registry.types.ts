/** The enumerations of the registry, as the database constrains them. */
export const VENDOR_ROLES = ['processor', 'sub_processor', 'controller', 'joint_controller'] as const;
export type VendorRole = (typeof VENDOR_ROLES)[number];

export const RISK_TIERS = ['low', 'medium', 'high'] as const;
export type RiskTier = (typeof RISK_TIERS)[number];

/** Transfer safeguards of Chapter V: adequacy (Art. 45), SCCs (Art. 46(2)(c)), BCRs (Art. 47), derogations (Art. 49). */
export const TRANSFER_MECHANISMS = ['adequacy', 'sccs', 'bcrs', 'derogation'] as const;
export type TransferMechanism = (typeof TRANSFER_MECHANISMS)[number];

export interface Transfer {
  country: string;
  mechanism: TransferMechanism;
  /** The module of the 2021 SCCs (1 C2C, 2 C2P, 3 P2P, 4 P2C); only with mechanism sccs. */
  sccs_module?: number | null;
  notes?: string | null;
}

export const DPA_STATUSES = [
  'draft',
  'in_negotiation',
  'signed',
  'expired',
  'terminated',
  'not_required',
] as const;
export type DpaStatus = (typeof DPA_STATUSES)[number];

/** Statuses a new version may be recorded with (termination and expiry are transitions of a version). */
export const DPA_CREATE_STATUSES = ['draft', 'in_negotiation', 'signed', 'not_required'] as const;

/** The Art. 28(3)(a)-(h) checklist. */
export const DPA_CLAUSES = [
  'documented_instructions',
  'confidentiality',
  'security_measures',
  'sub_processor_conditions',
  'assists_with_dsr',
  'assists_with_32_36',
  'deletion_or_return',
  'audit_rights',
] as const;
export type DpaClause = (typeof DPA_CLAUSES)[number];

export const SUBPROCESSOR_AUTHORIZATIONS = ['specific', 'general_with_notice'] as const;

/** Art. 6(1)(a)-(f). */
export const LEGAL_BASES = [
  'consent',
  'contract',
  'legal_obligation',
  'vital_interests',
  'public_task',
  'legitimate_interests',
] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

export const ACTIVITY_STATUSES = ['draft', 'in_review', 'approved', 'deprecated'] as const;

/** The two document types a signed agreement is accepted as. */
export const DPA_DOCUMENT_TYPES = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
} as const;
export type DpaDocumentType = keyof typeof DPA_DOCUMENT_TYPES;
export const DPA_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024;

/** Delivery reason and flag of the DPA gate. */
export const DPA_MISSING = 'dpa_missing';
