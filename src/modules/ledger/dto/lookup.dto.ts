import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { CHANNELS } from './consent-event.dto';
import { IsPhoneNumber } from './phone.validator';

/** Who: exactly one of phone, email or subject_id. */
export class SubjectLookupDto {
  @ApiPropertyOptional({ example: '+16505551234' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsPhoneNumber()
  phone?: string;

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

export class ConsentCheckDto extends SubjectLookupDto {
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
