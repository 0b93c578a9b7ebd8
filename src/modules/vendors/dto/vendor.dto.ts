import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsISO31661Alpha2,
  IsISO8601,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { DPA_STATUSES, RISK_TIERS, VENDOR_ROLES, type RiskTier, type VendorRole } from '../registry.types';
import type { ArchivedFilter } from '../vendor.repository';

const ARCHIVED_FILTERS = ['exclude', 'only', 'include'] as const satisfies readonly ArchivedFilter[];
import { IsDay, TransferDto } from './registry-common.dto';

const LIST = { each: true } as const;

/** The facts of a vendor; every field but the name may be left out and filled in later. */
export class CreateVendorDto {
  @ApiProperty({ example: 'Acme Mailing' })
  @IsString({ message: 'must be text' })
  @Length(1, 200, { message: 'must be given, at most 200 characters' })
  name!: string;

  @ApiPropertyOptional({ example: 'Acme Mailing GmbH' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  legal_name?: string | null;

  @ApiPropertyOptional({ example: 'DE', description: 'ISO 3166-1 alpha-2 country of establishment.' })
  @IsOptional()
  @IsISO31661Alpha2({ message: 'must be a two-letter country code, such as DE' })
  country?: string | null;

  @ApiPropertyOptional({ example: 'https://acme.example' })
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true },
    { message: 'must be a web address starting with https://' },
  )
  @MaxLength(2048)
  website?: string | null;

  @ApiPropertyOptional({ description: 'Who receives Art. 19 notices (rectification, erasure, restriction).' })
  @IsOptional()
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(320)
  privacy_contact_email?: string | null;

  @ApiPropertyOptional({ enum: VENDOR_ROLES })
  @IsOptional()
  @IsIn(VENDOR_ROLES, { message: `must be one of ${VENDOR_ROLES.join(', ')}` })
  role?: VendorRole | null;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString(LIST)
  @Length(1, 200, LIST)
  services?: string[] | null;

  @ApiPropertyOptional({ type: [String], example: ['contact details', 'consent status'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString(LIST)
  @Length(1, 200, LIST)
  data_categories?: string[] | null;

  @ApiPropertyOptional({ type: [String], example: ['customers'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString(LIST)
  @Length(1, 200, LIST)
  data_subject_categories?: string[] | null;

  @ApiPropertyOptional({ type: [String], example: ['marketing'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString(LIST)
  @Length(1, 200, LIST)
  purposes?: string[] | null;

  @ApiPropertyOptional({ type: [TransferDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => TransferDto)
  transfers?: TransferDto[] | null;

  @ApiPropertyOptional({ enum: RISK_TIERS })
  @IsOptional()
  @IsIn(RISK_TIERS, { message: `must be one of ${RISK_TIERS.join(', ')}` })
  risk_tier?: RiskTier | null;

  @ApiPropertyOptional({ description: 'Who in the business answers for this vendor.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  owner?: string | null;

  @ApiPropertyOptional({ example: '2026-06-30' })
  @IsOptional()
  @IsDay()
  next_review_at?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  notes?: string | null;
}

/** Every field optional; null clears a field (the name cannot be cleared). */
export class UpdateVendorDto extends PartialType(CreateVendorDto) {
  @ApiPropertyOptional({
    description:
      'true archives the vendor (hidden from the registry by default; refused while it has live connections or is a recipient of a processing activity in use); false brings it back.',
  })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  archived?: boolean;
}

const toBool = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

export class VendorQueryDto {
  @ApiPropertyOptional({ enum: VENDOR_ROLES })
  @IsOptional()
  @IsIn(VENDOR_ROLES)
  role?: VendorRole;

  @ApiPropertyOptional({ enum: RISK_TIERS })
  @IsOptional()
  @IsIn(RISK_TIERS)
  risk_tier?: RiskTier;

  @ApiPropertyOptional({
    enum: [...DPA_STATUSES, 'not_yet_effective', 'incomplete', 'none'],
    description:
      'Status of the governing DPA; a signed one past its expiry date counts as expired, one lacking its ' +
      'document, a clause or a past signature date as incomplete.',
  })
  @IsOptional()
  @IsIn([...DPA_STATUSES, 'not_yet_effective', 'incomplete', 'none'])
  dpa_status?: string;

  @ApiPropertyOptional({
    type: Boolean,
    description: 'true: only vendors whose valid DPA expires within 30 days.',
  })
  @IsOptional()
  @Transform(toBool)
  @IsIn([true, false], { message: 'must be true or false' })
  dpa_expiring?: boolean;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(toBool)
  @IsIn([true, false], { message: 'must be true or false' })
  has_connections?: boolean;

  @ApiPropertyOptional({ description: 'Search in name and legal name.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({
    enum: ARCHIVED_FILTERS,
    description:
      'Archived vendors: left out (exclude, the default), the only ones (only), or listed too (include).',
  })
  @IsOptional()
  @IsIn(ARCHIVED_FILTERS, { message: `must be one of ${ARCHIVED_FILTERS.join(', ')}` })
  archived?: ArchivedFilter;
}

/** What a sub-processor link records besides who; null clears a fact. */
export class SubProcessorFactsDto {
  @ApiPropertyOptional({ description: 'When the processor told us it engages this sub-processor.' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'must be a date and time (RFC 3339)' })
  notified_at?: string | null;

  @ApiPropertyOptional({ description: 'Last day to object (general authorisation with notice).' })
  @IsOptional()
  @IsDay()
  objection_deadline?: string | null;

  @ApiPropertyOptional({ description: 'What it does for the processor (hosting, support…).' })
  @IsOptional()
  @IsString({ message: 'must be text' })
  @MaxLength(500, { message: 'must be at most 500 characters' })
  service?: string | null;
}

export class AddSubProcessorDto extends SubProcessorFactsDto {
  @ApiProperty({ description: 'The vendor engaged, recorded in the registry first.' })
  @IsUUID('all', { message: 'must name a vendor (its id)' })
  sub_processor_id!: string;
}

export class UpdateSubProcessorDto extends SubProcessorFactsDto {}

export class EvidencePackQueryDto {
  @ApiPropertyOptional({
    description: 'Start of the period (inclusive, RFC 3339 or YYYY-MM-DD); default 365 days before to.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'End of the period (exclusive); default now.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}
