import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { REQUEST_ORIGINS, REQUEST_STATUSES, REQUEST_TYPES } from '../requests.types';

const text = { nullable: true, type: String } as const;
const time = { format: 'date-time', nullable: true, type: String } as const;
const uuid = { format: 'uuid', nullable: true, type: String } as const;

/** A request as the inbox lists it: its deadline standing, never the person's identifier in full. */
export class RequestSummaryResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: REQUEST_TYPES }) type!: string;
  @ApiProperty({ enum: REQUEST_STATUSES }) status!: string;
  @ApiProperty({
    ...text,
    description: 'Why it ended or waits: no_match, already_erased, duplicate, need_user_verification, …',
  })
  status_reason!: string | null;
  @ApiProperty({ enum: REQUEST_ORIGINS }) origin!: string;
  @ApiProperty({ format: 'date-time' }) received_at!: string;
  @ApiProperty({ format: 'date-time', description: 'As of now: a paused clock moves it on.' })
  due_at!: string;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Whole days left (negative: overdue); null once closed.',
  })
  days_left!: number | null;
  @ApiProperty() due_soon!: boolean;
  @ApiProperty() overdue!: boolean;
  @ApiProperty({ description: 'The clock stands (waiting for the person to prove who they are).' })
  paused!: boolean;
  @ApiProperty({ ...text, example: '+49 ••• ••• 789' }) subject_masked!: string | null;
}

export class RequestPageResponse {
  @ApiProperty({ type: [RequestSummaryResponse], description: 'Newest received first.' })
  items!: RequestSummaryResponse[];
  @ApiProperty({ ...text, description: 'Pass as cursor for the next page; null on the last page.' })
  next_cursor!: string | null;
}

export class ExtensionResponse {
  @ApiProperty({ description: 'Further months granted in all (1 or 2).' }) months!: number;
  @ApiProperty(text) reason!: string | null;
  @ApiProperty(time) subject_notified_at!: string | null;
  @ApiProperty(time) extended_at!: string | null;
}

export class PauseResponse {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ ...time, description: 'null: still paused.' }) to!: string | null;
  @ApiProperty() reason!: string;
}

export class VerificationResponse {
  @ApiProperty({ description: 'A code, e.g. id_document, or origin:whatsapp for a verified channel.' })
  method!: string;
  @ApiProperty(text) note!: string | null;
  @ApiProperty(text) verified_by!: string | null;
  @ApiProperty(time) verified_at!: string | null;
}

export class ChangesMaskedResponse {
  @ApiPropertyOptional({ ...text }) phone?: string | null;
  @ApiPropertyOptional({ ...text }) email?: string | null;
}

export class HistoryEntryResponse {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'created' }) action!: string;
  @ApiProperty({ description: 'Who: a key or user name, "gateway", or the origin.' }) actor!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Ids, counts and codes only.' })
  detail!: Record<string, unknown>;
}

/** One processor's part in the request: an API delivery or a manual task. */
export class ProcessorRowResponse {
  @ApiProperty({ enum: ['api', 'manual'] }) kind!: 'api' | 'manual';
  @ApiProperty(uuid) delivery_id!: string | null;
  @ApiProperty(uuid) task_id!: string | null;
  @ApiProperty(uuid) connection_id!: string | null;
  @ApiProperty(text) connection_name!: string | null;
  @ApiProperty(uuid) vendor_id!: string | null;
  @ApiProperty(text) vendor_name!: string | null;
  @ApiProperty({ example: 'erasure' }) operation!: string;
  @ApiProperty({
    description:
      'api: pending, in_progress, retrying, awaiting_confirmation, succeeded, skipped, dead; manual: open, done.',
  })
  status!: string;
  @ApiProperty(text) reason!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty(time) updated_at!: string | null;
  @ApiProperty(time) completed_at!: string | null;
  @ApiProperty(text) vendor_reference!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The proof the processor gave.' })
  evidence!: Record<string, unknown>;
  @ApiProperty({ type: [String], example: ['dpa_missing'] }) flags!: string[];
}

/** A request in full: deadline facts, verification, history and each processor's progress and proof. */
export class RequestViewResponse extends RequestSummaryResponse {
  @ApiProperty(text) source!: string | null;
  @ApiProperty({ format: 'date-time' }) original_due_at!: string;
  @ApiProperty({ type: ExtensionResponse, nullable: true }) extension!: ExtensionResponse | null;
  @ApiProperty({ type: [PauseResponse] }) pauses!: PauseResponse[];
  @ApiProperty({ type: VerificationResponse, nullable: true }) verification!: VerificationResponse | null;
  @ApiProperty(uuid) subject_id!: string | null;
  @ApiProperty({ description: 'Whether the request matched a person the gateway knows.' }) matched!: boolean;
  @ApiProperty() lift!: boolean;
  @ApiProperty({ type: ChangesMaskedResponse, nullable: true }) changes_masked!: ChangesMaskedResponse | null;
  @ApiProperty(text) denial_reason!: string | null;
  @ApiProperty(text) cancel_reason!: string | null;
  @ApiProperty({ ...uuid, description: 'The open request that absorbed this one.' }) duplicate_of!:
    string | null;
  @ApiProperty(time) completed_at!: string | null;
  @ApiProperty(time) closed_at!: string | null;
  @ApiProperty() created_by!: string;
  @ApiProperty({ type: [HistoryEntryResponse] }) history!: HistoryEntryResponse[];
  @ApiProperty({ type: [ProcessorRowResponse] }) processors!: ProcessorRowResponse[];
  @ApiProperty({ description: 'A completed access request whose person is still known: GET …/export.' })
  export_available!: boolean;
}

export class RequestFiguresResponse {
  @ApiProperty() open!: number;
  @ApiProperty() identity_verification!: number;
  @ApiProperty() waiting_on_processors!: number;
  @ApiProperty() due_soon!: number;
  @ApiProperty() overdue!: number;
}

/** The access export (Art. 15, and portability): everything held on the person, machine-readable. */
export class AccessExportResponse {
  @ApiProperty({ example: 'consent-gateway.access-export/1' }) format!: string;
  @ApiProperty({ format: 'date-time' }) generated_at!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) controller!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) request!: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Identifiers, consent events with evidence and receipts, current states, merges, flags.',
  })
  person!: Record<string, unknown>;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Every processor that received the data: what, when, its DPA and transfers (Art. 15(1)(c)).',
  })
  recipients!: Record<string, unknown>[];
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'What the connected CRMs hold on the person, pulled for this request.',
  })
  crm_data!: Record<string, unknown>[];
  @ApiProperty({ type: 'object', additionalProperties: true }) retention!: Record<string, unknown>;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: "The person's requests and their history.",
  })
  requests!: Record<string, unknown>[];
}
