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
  @ApiProperty({ description: 'Position in the chain.' }) seq!: number;
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: AuditActorResponse }) actor!: AuditActorResponse;
  @ApiProperty({ example: 'POST /v1/vendors' }) action!: string;
  @ApiProperty({ type: AuditTargetResponse, nullable: true }) target!: AuditTargetResponse | null;
  @ApiProperty({ nullable: true, type: String }) ip!: string | null;
  @ApiProperty({ enum: ['success', 'failure'] }) outcome!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Ids and field names, never values.',
  })
  details!: Record<string, unknown>;
  @ApiProperty({ description: "SHA-256 over the entry and the previous entry's hash." }) hash!: string;
}

export class AuditChainResponse {
  @ApiProperty({ description: 'Whether every entry follows the one before it.' }) valid!: boolean;
  @ApiProperty() checked!: number;
  @ApiProperty({ nullable: true, type: Number }) first_broken_seq!: number | null;
}

export class AuditPageResponse {
  @ApiProperty({ type: [AuditEventResponse] }) events!: AuditEventResponse[];
  @ApiProperty({ type: AuditChainResponse }) chain!: AuditChainResponse;
}
