import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsIn,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IsPhoneNumber } from './phone.validator';

export const CHANNELS = ['whatsapp', 'sms', 'email', 'phone', 'postal'] as const;
export const API_METHODS = ['api', 'web_form', 'import', 'admin'] as const;
export const MAX_BATCH = 1000;

/** One consent change reported by an automation platform (a form submission, an import row). */
export class ConsentEventDto {
  @ApiProperty({
    description: "The caller's own id of this event; repeating it is a no-op.",
    example: 'form-8812',
  })
  @IsString()
  @Length(1, 200)
  @Matches(/^[\w.:@/-]+$/, { message: 'may contain only letters, digits and . _ : @ / -' })
  event_id!: string;

  @ApiPropertyOptional({ example: '+16505551234' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsPhoneNumber()
  phone?: string;

  @ApiPropertyOptional({ example: 'jane@example.com' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email?: string;

  @ApiPropertyOptional({ description: 'An existing subject id, instead of an identifier.' })
  @IsOptional()
  @IsUUID()
  subject_id?: string;

  @ApiProperty({ example: 'marketing' })
  @IsString()
  @Length(1, 64)
  @Matches(/^[a-z0-9_.-]+$/, { message: 'must be lower-case letters, digits, _ . -' })
  purpose!: string;

  @ApiProperty({ enum: CHANNELS, example: 'whatsapp' })
  @IsIn(CHANNELS)
  channel!: (typeof CHANNELS)[number];

  @ApiPropertyOptional({ description: 'For WhatsApp: the business phone_number_id; omit for every number.' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @Matches(/^[\w.:-]+$/, { message: 'may contain only letters, digits and . _ : -' })
  scope?: string;

  @ApiProperty({ enum: ['granted', 'withdrawn'] })
  @IsIn(['granted', 'withdrawn'])
  status!: 'granted' | 'withdrawn';

  @ApiProperty({ description: 'When the person acted (RFC 3339).', example: '2026-11-29T10:00:00Z' })
  @IsISO8601({ strict: true, strictSeparator: true })
  captured_at!: string;

  @ApiPropertyOptional({ enum: API_METHODS })
  @IsOptional()
  @IsIn(API_METHODS)
  method?: (typeof API_METHODS)[number];

  @ApiPropertyOptional({ example: 'consent' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  legal_basis?: string;

  @ApiPropertyOptional({ example: 'privacy-notice-v3' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  notice_version?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUrl({ require_protocol: true, protocols: ['https', 'http'] })
  @MaxLength(2048)
  policy_url?: string;

  @ApiPropertyOptional({ example: 'en' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, { message: 'must be a language tag such as en or pt-BR' })
  language?: string;

  @ApiPropertyOptional({ description: 'Free-form evidence (stored encrypted): form URL, IP, checkbox text…' })
  @IsOptional()
  @IsObject()
  evidence?: Record<string, unknown>;
}

export class ConsentEventBatchDto {
  @ApiProperty({ type: [ConsentEventDto], maxItems: MAX_BATCH })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH)
  @ValidateNested({ each: true })
  @Type(() => ConsentEventDto)
  events!: ConsentEventDto[];
}
