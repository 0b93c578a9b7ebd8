import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { CHANNELS } from './consent-event.dto';
import { IsPhoneNumber } from './phone.validator';

/** Who, by email or subject id (exactly one identifier in all). */
class SubjectKeyDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  subject_id?: string;
}

/** Who: exactly one of phone, email or subject_id; the phone also as WhatsApp shows it (digits, no +). */
export class SubjectLookupDto extends SubjectKeyDto {
  @ApiPropertyOptional({
    example: '+16505551234',
    description: 'International format, or the digits WhatsApp shows (16505551234).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsPhoneNumber({ whatsAppDigits: true })
  phone?: string;
}

/** The consent check keeps the strict international form its fast path (consent-check.route.ts) accepts. */
export class ConsentCheckDto extends SubjectKeyDto {
  @ApiPropertyOptional({ example: '+16505551234' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsPhoneNumber()
  phone?: string;

  @ApiPropertyOptional({ example: 'marketing', default: 'marketing' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @Matches(/^[a-z0-9_.-]+$/, { message: 'must be lower-case letters, digits, _ . -' })
  purpose?: string;

  @ApiPropertyOptional({ enum: CHANNELS, default: 'whatsapp' })
  @IsOptional()
  @IsIn(CHANNELS)
  channel?: (typeof CHANNELS)[number];

  @ApiPropertyOptional({ description: 'Business phone_number_id; omit to ask about every number.' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  scope?: string;
}
