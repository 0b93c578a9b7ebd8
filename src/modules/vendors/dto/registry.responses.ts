import { ApiProperty } from '@nestjs/swagger';
import {
  ACTIVITY_STATUSES,
  DPA_CLAUSES,
  DPA_STATUSES,
  LEGAL_BASES,
  RISK_TIERS,
  SUBPROCESSOR_AUTHORIZATIONS,
  TRANSFER_MECHANISMS,
  VENDOR_ROLES,
} from '../registry.types';

const EFFECTIVE_STATUSES = [...DPA_STATUSES, 'not_yet_effective', 'incomplete', 'none'];
const day = { example: '2026-01-31', nullable: true, type: String } as const;
const time = { format: 'date-time', nullable: true, type: String } as const;
const text = { nullable: true, type: String } as const;
const int = { nullable: true, type: Number } as const;

export class TransferResponse {
  @ApiProperty({ example: 'US' }) country!: string;
  @ApiProperty({ enum: TRANSFER_MECHANISMS }) mechanism!: string;
  @ApiProperty(int) sccs_module!: number | null;
  @ApiProperty(text) notes!: string | null;
}

export class DpaDocumentResponse {
  @ApiProperty() sha256!: string;
  @ApiProperty() name!: string;
  @ApiProperty() type!: string;
  @ApiProperty() size!: number;
  @ApiProperty(time) uploaded_at!: string | null;
  @ApiProperty({ example: '/v1/dpas/{id}/document' }) href!: string;
}

export class DpaResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) vendor_id!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ enum: DPA_STATUSES }) status!: string;
  @ApiProperty({
    enum: EFFECTIVE_STATUSES,
    description:
      'The status as of today: a passed expiry is expired; a signed version without its document, without ' +
      'every Art. 28(3) clause, or signed on a future day is incomplete.',
  })
  effective_status!: string;
  @ApiProperty({ description: 'Whether personal data may flow under it today.' }) valid!: boolean;
  @ApiProperty({
    enum: ['document', 'clauses', 'signed_in_future'],
    isArray: true,
    description: 'Why a signed version does not count (empty when complete, or not signed).',
  })
  incomplete!: string[];
  @ApiProperty({
    ...int,
    description: 'Days until a valid agreement expires, when that is within 30 days; else null.',
  })
  expires_in_days!: number | null;
  @ApiProperty(day) signed_at!: string | null;
  @ApiProperty(day) effective_from!: string | null;
  @ApiProperty(day) expires_at!: string | null;
  @ApiProperty(day) review_due_at!: string | null;
  @ApiProperty(time) terminated_at!: string | null;
  @ApiProperty(time) status_changed_at!: string | null;
  @ApiProperty(text) status_reason!: string | null;
  @ApiProperty({
    type: 'object',
    properties: Object.fromEntries(DPA_CLAUSES.map((c) => [c, { type: 'boolean' }])),
  })
  clauses!: Record<string, boolean>;
  @ApiProperty({ enum: DPA_CLAUSES, isArray: true }) clauses_missing!: string[];
  @ApiProperty({ enum: SUBPROCESSOR_AUTHORIZATIONS, nullable: true }) subprocessor_authorization!:
    string | null;
  @ApiProperty(int) subprocessor_notice_days!: number | null;
  @ApiProperty(int) breach_notification_hours!: number | null;
  @ApiProperty(int) dsr_assistance_days!: number | null;
  @ApiProperty(text) counterparty_signatory!: string | null;
  @ApiProperty(text) notes!: string | null;
  @ApiProperty({ type: DpaDocumentResponse, nullable: true }) document!: DpaDocumentResponse | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty(text) created_by!: string | null;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class DpaDetailResponse extends DpaResponse {
  @ApiProperty({ description: 'Whether this version governs the vendor today.' }) governing!: boolean;
}

export class DpaHistoryResponse {
  @ApiProperty({ format: 'uuid' }) vendor_id!: string;
  @ApiProperty({ type: DpaResponse, nullable: true }) current!: DpaResponse | null;
  @ApiProperty({ enum: EFFECTIVE_STATUSES }) dpa_status!: string;
  @ApiProperty() dpa_valid!: boolean;
  @ApiProperty({ type: [DpaResponse] }) versions!: DpaResponse[];
}

export class VendorResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty(text) legal_name!: string | null;
  @ApiProperty(text) country!: string | null;
  @ApiProperty(text) website!: string | null;
  @ApiProperty(text) privacy_contact_email!: string | null;
  @ApiProperty({ enum: VENDOR_ROLES, nullable: true }) role!: string | null;
  @ApiProperty({ type: [String] }) services!: string[];
  @ApiProperty({ type: [String] }) data_categories!: string[];
  @ApiProperty({ type: [String] }) data_subject_categories!: string[];
  @ApiProperty({ type: [String] }) purposes!: string[];
  @ApiProperty({ type: [TransferResponse] }) transfers!: TransferResponse[];
  @ApiProperty({ enum: RISK_TIERS, nullable: true }) risk_tier!: string | null;
  @ApiProperty(text) owner!: string | null;
  @ApiProperty(day) next_review_at!: string | null;
  @ApiProperty(text) notes!: string | null;
  @ApiProperty({ description: 'Connections not disconnected.' }) connection_count!: number;
  @ApiProperty({
    enum: ['role', 'country'],
    isArray: true,
    description: 'Essential facts not recorded yet; the vendor is incomplete while any is listed.',
  })
  missing_facts!: string[];
  @ApiProperty({ ...time, description: 'When the vendor was archived; null while it is in use.' })
  archived_at!: string | null;
  @ApiProperty({ type: DpaResponse, nullable: true, description: 'The governing version.' })
  dpa!: DpaResponse | null;
  @ApiProperty({ enum: EFFECTIVE_STATUSES }) dpa_status!: string;
  @ApiProperty() dpa_valid!: boolean;
  @ApiProperty({ ...int, description: 'Days until the valid DPA expires, when within 30 days.' })
  dpa_expires_in_days!: number | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class VendorListResponse {
  @ApiProperty({ type: [VendorResponse] }) vendors!: VendorResponse[];
}

export class SubProcessorResponse {
  @ApiProperty({ format: 'uuid' }) vendor_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: VENDOR_ROLES, nullable: true }) role!: string | null;
  @ApiProperty(text) country!: string | null;
  @ApiProperty(time) notified_at!: string | null;
  @ApiProperty(day) objection_deadline!: string | null;
  @ApiProperty({ ...text, description: 'What the sub-processor does for the processor.' })
  service!: string | null;
  @ApiProperty(time) archived_at!: string | null;
  @ApiProperty({ enum: EFFECTIVE_STATUSES }) dpa_status!: string;
  @ApiProperty() dpa_valid!: boolean;
}

export class SubProcessorListResponse {
  @ApiProperty({ type: [SubProcessorResponse] }) sub_processors!: SubProcessorResponse[];
}

export class VendorRefResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

export class RecentDeliveriesResponse {
  @ApiProperty() total!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() dead!: number;
  @ApiProperty() pending!: number;
  @ApiProperty() skipped!: number;
}

export class VendorDeliveriesResponse {
  @ApiProperty() succeeded!: number;
  @ApiProperty() dead!: number;
  @ApiProperty() pending!: number;
  @ApiProperty() skipped!: number;
  @ApiProperty({ description: 'Held until the vendor has a valid DPA.' }) held_dpa_missing!: number;
  @ApiProperty({ description: 'Sent (withdrawals, erasures) although the vendor had no valid DPA.' })
  flagged_dpa_missing!: number;
  @ApiProperty(time) last_succeeded_at!: string | null;
  @ApiProperty({ type: RecentDeliveriesResponse }) last_30_days!: RecentDeliveriesResponse;
}

export class VendorConnectionResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() type!: string;
  @ApiProperty() status!: string;
  @ApiProperty({ type: VendorDeliveriesResponse }) deliveries!: VendorDeliveriesResponse;
}

export class VendorDetailResponse extends VendorResponse {
  @ApiProperty({ type: [DpaResponse], description: 'Every version, newest first.' })
  dpa_history!: DpaResponse[];
  @ApiProperty({ type: [SubProcessorResponse] }) sub_processors!: SubProcessorResponse[];
  @ApiProperty({ type: [VendorRefResponse], description: 'Processors that engage this vendor.' })
  processor_of!: VendorRefResponse[];
  @ApiProperty({ type: [VendorConnectionResponse] }) connections!: VendorConnectionResponse[];
}

export class RecipientResponse {
  @ApiProperty({ format: 'uuid' }) vendor_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: VENDOR_ROLES, nullable: true }) role!: string | null;
  @ApiProperty(text) country!: string | null;
}

export class RecipientTransferResponse extends TransferResponse {
  @ApiProperty({ description: 'The recipient making the transfer.' }) vendor!: string;
}

export class ProcessingActivityResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() purpose!: string;
  @ApiProperty({ enum: LEGAL_BASES }) legal_basis!: string;
  @ApiProperty(text) legitimate_interest!: string | null;
  @ApiProperty({ type: [String] }) data_categories!: string[];
  @ApiProperty({ type: [String] }) data_subjects!: string[];
  @ApiProperty({ type: [RecipientResponse] }) recipients!: RecipientResponse[];
  @ApiProperty({ type: [TransferResponse] }) transfers!: TransferResponse[];
  @ApiProperty({ type: [RecipientTransferResponse] }) recipient_transfers!: RecipientTransferResponse[];
  @ApiProperty(text) retention!: string | null;
  @ApiProperty(text) security_measures!: string | null;
  @ApiProperty() dpia_required!: boolean;
  @ApiProperty(text) dpia_reference!: string | null;
  @ApiProperty(text) controller_contact!: string | null;
  @ApiProperty({ enum: ACTIVITY_STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class ProcessingActivityListResponse {
  @ApiProperty({ type: [ProcessingActivityResponse] }) processing_activities!: ProcessingActivityResponse[];
}

export class RopaResponse extends ProcessingActivityListResponse {
  @ApiProperty({ format: 'date-time' }) generated_at!: string;
  @ApiProperty({ example: 'GDPR Art. 30(1)' }) record!: string;
}

const items = { type: 'array', items: { type: 'object', additionalProperties: true } } as const;

export class AttentionCountsResponse {
  @ApiProperty() expiring_within_30_days!: number;
  @ApiProperty() expiring_within_60_days!: number;
  @ApiProperty() expiring_within_90_days!: number;
  @ApiProperty({ description: 'Governing DPAs recorded as signed that do not count.' })
  dpas_incomplete!: number;
  @ApiProperty() vendors_without_valid_dpa!: number;
  @ApiProperty() reviews_overdue!: number;
  @ApiProperty() sub_processors_incomplete!: number;
  @ApiProperty() vendors_missing_role_or_country!: number;
  @ApiProperty() held_deliveries!: number;
}

export class ExpiringResponse {
  @ApiProperty(items) within_30_days!: object[];
  @ApiProperty(items) within_60_days!: object[];
  @ApiProperty(items) within_90_days!: object[];
}

export class AttentionResponse {
  @ApiProperty({ format: 'date-time' }) generated_at!: string;
  @ApiProperty({ example: '2026-01-31' }) day!: string;
  @ApiProperty({ type: AttentionCountsResponse }) counts!: AttentionCountsResponse;
  @ApiProperty({ type: ExpiringResponse }) expiring!: ExpiringResponse;
  @ApiProperty({
    ...items,
    description:
      'Per vendor: the governing version, what it lacks (incomplete: document, clauses, signed_in_future), ' +
      'the clauses missing and the signature date.',
  })
  dpas_incomplete!: object[];
  @ApiProperty(items) vendors_without_valid_dpa!: object[];
  @ApiProperty(items) reviews_overdue!: object[];
  @ApiProperty(items) sub_processors_incomplete!: object[];
  @ApiProperty({
    ...items,
    description:
      'Vendors with live connections whose role or country is not recorded ({ vendor_id, vendor_name, missing }).',
  })
  vendors_missing_role_or_country!: object[];
}

export class EvidencePeriodResponse {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
}

export class EvidenceDpaResponse {
  @ApiProperty({ type: DpaResponse, nullable: true }) current!: DpaResponse | null;
  @ApiProperty() valid_today!: boolean;
  @ApiProperty({ type: [DpaResponse] }) history!: DpaResponse[];
}

export class EvidenceSummaryResponse {
  @ApiProperty() deliveries!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) by_status!: Record<
    string,
    number
  >;
  @ApiProperty() held_dpa_missing!: number;
  @ApiProperty() flagged_dpa_missing!: number;
  @ApiProperty({ description: 'More deliveries than one pack lists: ask for a shorter period.' })
  truncated!: boolean;
}

export class EvidenceDeliveryResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) connection_id!: string;
  @ApiProperty() connection_name!: string;
  @ApiProperty({ format: 'uuid' }) subject_id!: string;
  @ApiProperty() operation!: string;
  @ApiProperty() status!: string;
  @ApiProperty(text) reason!: string | null;
  @ApiProperty({ type: [String] }) flags!: string[];
  @ApiProperty() attempts!: number;
  @ApiProperty(text) last_error_class!: string | null;
  @ApiProperty(text) vendor_reference!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty(time) completed_at!: string | null;
}

export class EvidencePackResponse {
  @ApiProperty({ format: 'date-time' }) generated_at!: string;
  @ApiProperty({ type: EvidencePeriodResponse }) period!: EvidencePeriodResponse;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The vendor facts, as in VendorResponse.',
  })
  vendor!: object;
  @ApiProperty({ type: EvidenceDpaResponse }) dpa!: EvidenceDpaResponse;
  @ApiProperty({ type: [VendorRefResponse] }) connections!: object[];
  @ApiProperty({ type: EvidenceSummaryResponse }) summary!: EvidenceSummaryResponse;
  @ApiProperty({ type: [EvidenceDeliveryResponse] }) deliveries!: EvidenceDeliveryResponse[];
}
