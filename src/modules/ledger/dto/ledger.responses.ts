import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IDENTITY_KINDS } from '../ledger.types';

const STATUSES = ['granted', 'withdrawn'];
const EFFECTS = ['changed', 'confirmed', 'stale'];
const CHECK_REASONS = ['consent_granted', 'consent_withdrawn', 'no_consent', 'erased', 'restricted'];
const text = { nullable: true, type: String } as const;
const time = { format: 'date-time', nullable: true, type: String } as const;
const anyObject = { type: 'object', additionalProperties: true } as const;

/** What one recorded event did; a batch answers one of these per event, in order. */
export class RecordedEventResponse {
  @ApiProperty({ description: "The caller's event_id." }) event_id!: string;
  @ApiProperty({
    enum: ['recorded', 'suppressed'],
    description:
      'recorded (or already recorded: see duplicate); suppressed: the identifier belongs to an erased person, nothing was stored.',
  })
  status!: string;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'The ledger event (the first one on a duplicate); null when suppressed.',
  })
  ledger_event_id!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'Null when suppressed.' })
  subject_id!: string | null;
  @ApiProperty({
    enum: [...EFFECTS, 'suppressed'],
    description: 'changed the state, confirmed it, stale (older than the state in force), or suppressed.',
  })
  effect!: string;
  @ApiProperty({ description: 'Whether this event_id was already recorded (nothing was written).' })
  duplicate!: boolean;
}

export class RecordedBatchResponse {
  @ApiProperty({ type: [RecordedEventResponse] }) results!: RecordedEventResponse[];
}

export class ConsentCheckResponse {
  @ApiProperty({ description: 'Whether a message may be sent.' }) allowed!: boolean;
  @ApiProperty({ enum: [...STATUSES, 'unknown'] }) status!: string;
  @ApiProperty({
    enum: CHECK_REASONS,
    description:
      'erased: the person is erased or their erasure was requested; restricted: their processing is restricted (Art. 18). Both answer allowed false whatever the consent.',
  })
  reason!: string;
  @ApiProperty({ example: '*', description: "The business number asked about ('*': every number)." })
  scope!: string;
  @ApiProperty(time) captured_at!: string | null;
  @ApiPropertyOptional({
    enum: [true],
    description:
      'Present (true) when the database was unavailable and the answer came from the in-memory copy as it was when notifications stopped (CHECK_WHEN_DATABASE_DOWN=serve_stale; with refuse, such a check is answered 503 with Retry-After).',
  })
  stale?: true;
}

export class ConsentStateResponse {
  @ApiProperty({ example: 'marketing' }) purpose!: string;
  @ApiProperty({ example: 'whatsapp' }) channel!: string;
  @ApiProperty({ example: '*' }) scope!: string;
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) captured_at!: string;
  @ApiProperty({ example: 'whatsapp' }) source!: string;
  @ApiProperty({ format: 'uuid', description: 'The ledger event that set this state.' }) event_id!: string;
}

export class ConsentStatesResponse {
  @ApiProperty({ format: 'uuid' }) subject_id!: string;
  @ApiProperty({
    format: 'uuid',
    required: false,
    type: String,
    description:
      'The subject id asked about when that person was merged into this one (subject_id): the answer is for the person they became. Absent otherwise.',
  })
  redirected_from?: string;
  @ApiProperty({ type: [ConsentStateResponse] }) states!: ConsentStateResponse[];
}

export class TimelineIdentityResponse {
  @ApiProperty({ enum: IDENTITY_KINDS, description: 'The kind; identifiers themselves are never returned.' })
  kind!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'The identifier masked for display (+49 ••• ••• 001, j•••@example.com): phone, WhatsApp and email only; null for other kinds or when it can no longer be opened.',
  })
  masked!: string | null;
  @ApiProperty({ format: 'date-time' }) added_at!: string;
}

export class EvidenceResponse {
  @ApiProperty({ example: 'wa_keyword' }) method!: string;
  @ApiProperty() actor!: string;
  @ApiProperty({ format: 'date-time' }) captured_at!: string;
  @ApiProperty({ format: 'date-time' }) received_at!: string;
  @ApiProperty({ format: 'date-time' }) recorded_at!: string;
  @ApiProperty(text) legal_basis!: string | null;
  @ApiProperty(text) notice_version!: string | null;
  @ApiProperty(text) policy_url!: string | null;
  @ApiProperty(text) language!: string | null;
  @ApiProperty({ ...text, description: 'SHA-256 of the webhook payload the event came from.' })
  payload_digest!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) inbox_id!: string | null;
  @ApiProperty({ ...anyObject, description: 'Non-personal evidence (ids, names of the caller).' })
  details!: Record<string, unknown>;
  @ApiProperty({
    ...anyObject,
    nullable: true,
    description: "The caller's evidence, stored encrypted and opened for this answer.",
  })
  personal!: Record<string, unknown> | null;
}

export class ConsentReceiptResponse {
  @ApiProperty({ ...anyObject, description: 'Kantara Consent Receipt v1.1 fields.' })
  kantara!: Record<string, unknown>;
  @ApiProperty({ ...anyObject, description: 'ISO/IEC TS 27560 consent record fields.' })
  iso27560!: Record<string, unknown>;
}

export class TimelineEventResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    description:
      'Position in this timeline, from 1: by when the event was captured, then recorded, then by id. Events captured at the same instant keep the order they were recorded in; between them the conflict rules let a withdrawal win.',
  })
  sequence!: number;
  @ApiProperty({
    format: 'uuid',
    description:
      "The person the event was recorded for: differs from the timeline's for a person merged into it.",
  })
  subject_id!: string;
  @ApiProperty() purpose!: string;
  @ApiProperty({ example: 'whatsapp' }) channel!: string;
  @ApiProperty() scope!: string;
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ enum: EFFECTS }) effect!: string;
  @ApiProperty() source!: string;
  @ApiProperty() source_event_id!: string;
  @ApiProperty({ type: EvidenceResponse }) evidence!: EvidenceResponse;
  @ApiProperty({ type: ConsentReceiptResponse }) receipt!: ConsentReceiptResponse;
}

/** Another person found to be this one and absorbed into it. */
export class TimelineMergeResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid', description: 'The person absorbed (their events keep this id).' })
  merged_subject_id!: string;
  @ApiProperty({ format: 'uuid', description: 'The person they were merged into then.' })
  into_subject_id!: string;
  @ApiProperty({ enum: ['crm_record_joined_identifiers'] }) reason!: string;
  @ApiProperty({ ...anyObject, description: 'Where the join was seen (source, connection, record type).' })
  evidence!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) merged_at!: string;
}

export class TimelineResponse {
  @ApiProperty({ format: 'uuid' }) subject_id!: string;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description:
      'The subject id asked about when that person was merged into this one (subject_id): the answer is for the person they became.',
  })
  redirected_from!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty(time) erased_at!: string | null;
  @ApiProperty({ type: [TimelineIdentityResponse] }) identities!: TimelineIdentityResponse[];
  @ApiProperty({
    type: [TimelineEventResponse],
    description: 'Oldest first, with the events of every person merged into this one.',
  })
  events!: TimelineEventResponse[];
  @ApiProperty({
    type: [TimelineMergeResponse],
    description: 'The merges that made this person, oldest first.',
  })
  merges!: TimelineMergeResponse[];
}
