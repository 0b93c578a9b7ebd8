import { ApiProperty } from '@nestjs/swagger';

export class AuditActorResponse {
  @ApiProperty({ enum: ['api_key', 'user', 'system', 'anonymous'] }) type!: string;
  @ApiProperty({ nullable: true, type: String }) id!: string | null;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
}

export class AuditTargetResponse {
  @ApiProperty() type!: string;
  @ApiProperty({ nullable: true, type: String }) id!: string | null;
}

export class AuditEventResponse {
  @ApiProperty({ description: 'The entry number, given when it was written.' }) seq!: number;
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: AuditActorResponse }) actor!: AuditActorResponse;
  @ApiProperty({ example: 'POST /v1/vendors' }) action!: string;
  @ApiProperty({ type: AuditTargetResponse, nullable: true }) target!: AuditTargetResponse | null;
  @ApiProperty({ nullable: true, type: String }) ip!: string | null;
  @ApiProperty({ example: 'Added a DPA version to vendor Acme', description: 'The action in plain words.' })
  action_words!: string;
  @ApiProperty({ description: 'The area of the action (the "what" filter).' }) area!: string;
  @ApiProperty({ enum: ['success', 'failure'] }) outcome!: string;
  @ApiProperty({ enum: ['succeeded', 'refused', 'failed'] }) result!: string;
  @ApiProperty({
    example: 'Refused: not allowed (403)',
    description: 'The outcome with its HTTP status in words.',
  })
  result_words!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'The HTTP status the caller was answered.' })
  status!: number | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Ids and field names, never values.',
  })
  details!: Record<string, unknown>;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Its place in the chain (null for a moment after it is written, until it is chained).',
  })
  chain_seq!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      "HMAC-SHA256 under the audit chain key over the entry and the previous entry's hash (SHA-256 for entries older than the keyed chain).",
  })
  hash!: string | null;
}

export class AuditChainResponse {
  @ApiProperty({ description: 'Whether every entry verified follows the one before it.' }) valid!: boolean;
  @ApiProperty({ enum: ['incremental', 'full'] }) mode!: string;
  @ApiProperty({ description: 'Entries known to follow one another, from the first.' }) checked!: number;
  @ApiProperty({ description: 'The place of the newest chained entry.' }) head!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'The seq of the first entry that does not follow.',
  })
  first_broken_seq!: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) broken_entry_id!: string | null;
  @ApiProperty({
    nullable: true,
    enum: ['gap', 'link', 'hash', 'checkpoint_missing', 'checkpoint_changed', 'state_altered'],
  })
  reason!: string | null;
}

export class AuditPageResponse {
  @ApiProperty({ type: [AuditEventResponse] }) events!: AuditEventResponse[];
  @ApiProperty({ type: AuditChainResponse }) chain!: AuditChainResponse;
  @ApiProperty({ nullable: true, type: Number, description: 'Pass as `before` for the next (older) page.' })
  next_before!: number | null;
}

export class AuditAnchorResponse {
  @ApiProperty({ description: 'The place in the chain of the newest entry.' }) sequence!: number;
  @ApiProperty() hash!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'HMAC-SHA256 under the audit chain key over sequence, hash and at.' })
  mac!: string;
}

export class AuditAnchorCheckResponse {
  @ApiProperty({ description: 'The anchored entry is present, unchanged, and the whole chain verifies.' })
  valid!: boolean;
  @ApiProperty({ enum: ['present', 'missing', 'changed'] }) anchor_entry!: string;
  @ApiProperty({ type: AuditChainResponse }) chain!: AuditChainResponse;
}
