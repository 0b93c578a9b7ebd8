import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONNECTION_TYPES, ERASURE_MODES } from './connection.dto';

const CONNECTION_STATUSES = ['active', 'paused', 'auth_failed', 'disconnected'];
const BACKFILL_STATUSES = ['running', 'completed', 'failed', 'cancelled'];
const text = { nullable: true, type: String } as const;
const time = { format: 'date-time', nullable: true, type: String } as const;

export class RateLimitResponse {
  @ApiProperty({ description: 'Requests per window.' }) max!: number;
  @ApiProperty({ description: 'The window, in milliseconds.' }) windowMs!: number;
}

export class ConnectionTestResponse {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ description: "The vendor's answer, or why the test failed." }) detail!: string;
}

/** A connection as every route returns it: credentials are never part of it. */
export class ConnectionResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) vendor_id!: string;
  @ApiProperty() vendor_name!: string;
  @ApiProperty({ enum: CONNECTION_TYPES }) type!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: CONNECTION_STATUSES }) status!: string;
  @ApiProperty(text) base_url!: string | null;
  @ApiProperty(text) login_url!: string | null;
  @ApiProperty({ ...text, description: 'HubSpot portal id, Salesforce organisation id.' })
  external_account_id!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "Where consent lives in the vendor's records (created on connect).",
  })
  mapping!: Record<string, unknown>;
  @ApiProperty({ enum: ERASURE_MODES }) erasure_mode!: string;
  @ApiProperty({ type: RateLimitResponse }) rate_limit!: RateLimitResponse;
  @ApiProperty({ ...text, description: 'Region of national numbers at this account (ISO 3166 alpha-2).' })
  phone_region!: string | null;
  @ApiProperty(time) token_expires_at!: string | null;
  @ApiProperty(text) last_error!: string | null;
  @ApiProperty(time) last_test_at!: string | null;
  @ApiProperty({ type: ConnectionTestResponse, nullable: true })
  last_test_result!: ConnectionTestResponse | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty(time) disconnected_at!: string | null;
  @ApiProperty({ ...text, description: "A webhook processor's endpoint URL; null for CRM connections." })
  endpoint_url!: string | null;
}

export class CreatedConnectionResponse extends ConnectionResponse {
  @ApiPropertyOptional({
    description: "A webhook processor's signing secret: returned once, on creation, never again.",
  })
  signing_secret?: string;
}

export class ConnectionListResponse {
  @ApiProperty({ type: [ConnectionResponse] }) connections!: ConnectionResponse[];
}

export class TestedConnectionResponse extends ConnectionTestResponse {
  @ApiProperty({ format: 'date-time' }) tested_at!: string;
}

export class BackfillRunResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) connection_id!: string;
  @ApiProperty({ enum: BACKFILL_STATUSES }) status!: string;
  @ApiProperty() pages!: number;
  @ApiProperty() contacts_seen!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Contacts the vendor counted when the run began (null: the vendor offers no count).',
  })
  contacts_total!: number | null;
  @ApiProperty() events_recorded!: number;
  @ApiProperty(text) last_error!: string | null;
  @ApiProperty(time) started_at!: string | null;
  @ApiProperty(time) updated_at!: string | null;
  @ApiProperty(time) completed_at!: string | null;
}

export class BackfillProgressResponse {
  @ApiProperty({ type: BackfillRunResponse, nullable: true, description: 'The latest run, if any.' })
  backfill!: BackfillRunResponse | null;
}

/** What the OAuth callback answers a console session, alongside its redirect to the console. */
export class ConnectedRefResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
}

export class UnmatchedRecordResponse {
  @ApiProperty({ description: "The record's id at the vendor, to open it there." }) remote_id!: string;
  @ApiProperty({ description: "'contact' (HubSpot), 'Contact' or 'Lead' (Salesforce)." })
  record_type!: string;
  @ApiProperty({ description: "The field whose value could not be used; '*' for the record as a whole." })
  field!: string;
  @ApiProperty({ description: 'invalid_phone, invalid_email, no_identifier, unreadable_timestamp, …' })
  reason!: string;
  @ApiProperty({ format: 'date-time' }) first_seen_at!: string;
  @ApiProperty({ format: 'date-time' }) last_seen_at!: string;
}

/** "Records we could not match": never the values, only where they are and why they could not be used. */
export class UnmatchedRecordsResponse {
  @ApiProperty({
    description: 'How many problems there are per reason.',
    additionalProperties: { type: 'number' },
  })
  counts!: Record<string, number>;
  @ApiProperty({
    type: [UnmatchedRecordResponse],
    description: 'The most recently seen first (at most 200).',
  })
  records!: UnmatchedRecordResponse[];
}

export class OAuthProviderResponse {
  @ApiProperty({ enum: ['hubspot', 'salesforce'] }) type!: string;
  @ApiProperty({ description: "Whether the gateway has this vendor's OAuth app credentials." })
  configured!: boolean;
  @ApiProperty({
    type: [String],
    description: 'The settings to give the gateway before it can offer the flow.',
  })
  missing!: string[];
  @ApiProperty({ description: "The callback URL to register in the vendor's app." }) redirect_uri!: string;
}

export class OAuthProvidersResponse {
  @ApiProperty({ type: [OAuthProviderResponse] }) providers!: OAuthProviderResponse[];
}
