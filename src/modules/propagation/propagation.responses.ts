import { ApiProperty } from '@nestjs/swagger';

const STATUSES = [
  'pending',
  'in_progress',
  'succeeded',
  'retrying',
  'dead',
  'skipped',
  'awaiting_confirmation',
];
const OPERATIONS = ['consent_update', 'erasure', 'restriction', 'rectification', 'access_export'];
const DIRECTIONS = ['grant', 'withdrawal', 'current_state', ...OPERATIONS.slice(1)];
const text = { nullable: true, type: String } as const;
const time = { format: 'date-time', nullable: true, type: String } as const;

/** One change owed to one processor, and how far it got: the proof of propagation. */
export class DeliveryResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) connection_id!: string;
  @ApiProperty(text) connection_name!: string | null;
  @ApiProperty({ format: 'uuid' }) subject_id!: string;
  @ApiProperty({
    ...text,
    description: "The person's first phone (else WhatsApp number, else email), masked: +49 ••• ••• 001.",
  })
  subject_masked!: string | null;
  @ApiProperty({ enum: OPERATIONS }) operation!: string;
  @ApiProperty({
    enum: DIRECTIONS,
    description:
      'What it told the processor: a consent update as grant or withdrawal (the change behind it), current_state when no change is behind it (a record came back); otherwise the request operation.',
  })
  direction!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The ledger event behind it.' })
  trigger_event_id!: string | null;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'The data-subject request it serves (null: a consent update, or a record that came back).',
  })
  request_id!: string | null;
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ ...text, description: 'Why it was skipped or held (e.g. dpa_missing).' })
  reason!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty({ ...time, description: 'Set while pending or retrying.' }) next_attempt_at!: string | null;
  @ApiProperty(text) last_error!: string | null;
  @ApiProperty(text) last_error_class!: string | null;
  @ApiProperty({ ...text, description: "The vendor's id for what it did." }) vendor_reference!: string | null;
  @ApiProperty({ description: 'Later changes folded into this delivery.' }) coalesced_changes!: number;
  @ApiProperty({
    type: [String],
    description: 'e.g. dpa_missing: a withdrawal sent to a vendor without a valid DPA.',
  })
  flags!: string[];
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Non-personal proof of what the processor did (erasure mode, records affected, confirmation).',
  })
  evidence!: Record<string, unknown>;
  @ApiProperty({ ...time, description: 'Awaiting a processor confirmation: when the wait ends.' })
  confirmation_due_at!: string | null;
  @ApiProperty({ description: 'Whether a retry can help (POST /v1/deliveries/{id}/retry).' })
  retryable!: boolean;
  @ApiProperty({
    enum: ['not_finished', 'succeeded', 'waits_for_record', 'waits_for_dpa'],
    nullable: true,
    type: String,
    description:
      'Why a retry cannot help: still on its way; succeeded; the vendor has no record (sent again when one appears); held until the vendor has a valid DPA.',
  })
  retry_refusal!: string | null;
  @ApiProperty(time) created_at!: string | null;
  @ApiProperty(time) updated_at!: string | null;
  @ApiProperty({ ...time, description: 'When the last attempt started.' }) started_at!: string | null;
  @ApiProperty(time) completed_at!: string | null;
}

export class DeliveryPageResponse {
  @ApiProperty({ type: [DeliveryResponse], description: 'Newest first.' }) deliveries!: DeliveryResponse[];
  @ApiProperty({ ...text, description: 'Pass as cursor for the next page; null on the last page.' })
  next_cursor!: string | null;
  @ApiProperty({
    ...time,
    description:
      'The older page mark (pass as before); next_cursor also separates deliveries created together.',
  })
  next_before!: string | null;
}

/** A processor's confirmation, as received. */
export class ConfirmationAcceptedResponse {
  @ApiProperty({
    enum: ['recorded', 'duplicate'],
    description: 'duplicate: this callback (webhook-id), or a confirmation before it, was already recorded.',
  })
  status!: 'recorded' | 'duplicate';
  @ApiProperty({ enum: STATUSES, description: "The delivery's status after the confirmation." })
  delivery_status!: string;
}
