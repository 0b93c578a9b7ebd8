import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  MaxLength,
  Matches,
  Min,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { toCountry } from '../../ledger';

/** A region libphonenumber knows (two letters alone are not enough: "ZZ" is not a country). */
@ValidatorConstraint({ name: 'isPhoneRegion' })
class IsPhoneRegion implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return value === null || (typeof value === 'string' && toCountry(value) !== null);
  }
  defaultMessage(): string {
    return 'phone_region must be a country libphonenumber knows, as ISO 3166 alpha-2 (e.g. DE, US)';
  }
}

export const CONNECTION_TYPES = ['hubspot', 'salesforce', 'webhook'] as const;
export const ERASURE_MODES = ['vendor_gdpr_delete', 'hard_delete', 'mask_fields'] as const;

export class CredentialsDto {
  @ApiPropertyOptional({
    description: 'HubSpot private-app token or OAuth access token; Salesforce access token.',
  })
  @IsOptional()
  @IsString()
  @Length(8, 4096)
  access_token?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(8, 4096)
  refresh_token?: string;

  @ApiPropertyOptional({ description: 'When the access token expires (RFC 3339).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string;

  @ApiPropertyOptional({ description: 'Salesforce instance URL (https://yourorg.my.salesforce.com).' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  instance_url?: string;

  @ApiPropertyOptional({ description: 'Webhook processor endpoint (https).' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;
}

export class RateLimitDto {
  @ApiProperty({ example: 100 })
  @IsInt()
  @Min(1)
  @Max(100000)
  max!: number;

  @ApiProperty({ example: 10000 })
  @IsInt()
  @Min(100)
  @Max(86_400_000)
  window_ms!: number;
}

export class CreateConnectionDto {
  @ApiProperty({ enum: CONNECTION_TYPES })
  @IsIn(CONNECTION_TYPES)
  type!: (typeof CONNECTION_TYPES)[number];

  @ApiProperty({ example: 'HubSpot EU portal' })
  @IsString()
  @Length(1, 120)
  name!: string;

  @ApiPropertyOptional({
    description: 'The registry vendor this account belongs to; by default the provider.',
  })
  @IsOptional()
  @IsUUID()
  vendor_id?: string;

  @ApiProperty({ type: CredentialsDto })
  @IsObject()
  @ValidateNested()
  @Type(() => CredentialsDto)
  credentials!: CredentialsDto;

  @ApiPropertyOptional({ description: 'Another API host (a sandbox); only hosts in OUTBOUND_ALLOWLIST.' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  base_url?: string;

  @ApiPropertyOptional({ description: 'Salesforce login host; only hosts in OUTBOUND_ALLOWLIST.' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  login_url?: string;

  @ApiPropertyOptional({ enum: ERASURE_MODES })
  @IsOptional()
  @IsIn(ERASURE_MODES)
  erasure_mode?: (typeof ERASURE_MODES)[number];

  @ApiPropertyOptional({ type: RateLimitDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RateLimitDto)
  rate_limit?: RateLimitDto;

  @ApiPropertyOptional({
    description:
      'Connect a HubSpot portal or Salesforce org that a live connection already reaches (refused with 409 otherwise): every change is then pushed to it twice.',
  })
  @IsOptional()
  @IsBoolean()
  allow_duplicate?: boolean;
}

export class UpdateConnectionDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 120)
  name?: string;

  @ApiPropertyOptional({ enum: ['active', 'paused'], description: 'Pause or resume propagation.' })
  @IsOptional()
  @IsIn(['active', 'paused'])
  status?: 'active' | 'paused';

  @ApiPropertyOptional({ description: 'Field mapping (merged into the current one).' })
  @IsOptional()
  @IsObject()
  mapping?: Record<string, unknown>;

  @ApiPropertyOptional({ enum: ERASURE_MODES })
  @IsOptional()
  @IsIn(ERASURE_MODES)
  erasure_mode?: (typeof ERASURE_MODES)[number];

  @ApiPropertyOptional({ type: RateLimitDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RateLimitDto)
  rate_limit?: RateLimitDto;

  @ApiPropertyOptional({
    nullable: true,
    description:
      "Region (ISO 3166 alpha-2) in which this account's national numbers were typed, e.g. DE; null clears it (DEFAULT_PHONE_REGION applies).",
  })
  @IsOptional()
  @Matches(/^[A-Za-z]{2}$/, { message: 'phone_region must be an ISO 3166 alpha-2 code such as DE' })
  @Validate(IsPhoneRegion)
  phone_region?: string | null;
}

export class AuthorizeQueryDto {
  @ApiProperty()
  @IsString()
  @Length(1, 120)
  name!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  vendor_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  base_url?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  login_url?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'true: connect the account even when a live connection already reaches it.',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  allow_duplicate?: 'true' | 'false';
}

export class OAuthCallbackQueryDto {
  @ApiProperty()
  @IsString()
  @Length(1, 2048)
  code!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 4096)
  state!: string;
}
