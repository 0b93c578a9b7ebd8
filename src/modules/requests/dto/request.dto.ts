import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  Equals,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { normalisePhone } from '../../ledger';
import { REQUEST_STATUSES, REQUEST_TYPES, type RequestStatus, type RequestType } from '../requests.types';

/** A phone number in international form (+ and country code) that libphonenumber-js accepts. */
function IsInternationalPhone(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isInternationalPhone',
      target: object.constructor,
      propertyName,
      options: {
        message: 'must be a valid phone number in international format, e.g. +16505551234',
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && value.startsWith('+') && normalisePhone(value) !== null,
      },
    });
}

const CODE = /^[a-z0-9_.-]+$/;
const CODE_MESSAGE = { message: 'must be lower-case letters, digits, _ . -' };

export class VerificationDto {
  @ApiProperty({
    example: 'id_document',
    description:
      'How the identity was verified: a code such as id_document, known_channel, account_login, callback.',
  })
  @IsString()
  @Length(1, 64)
  @Matches(CODE, CODE_MESSAGE)
  method!: string;

  @ApiPropertyOptional({
    description: 'What was checked. Stored sealed; removed when the person is forgotten.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;
}

export class ChangesDto {
  @ApiPropertyOptional({ example: '+4915112345678', description: 'The corrected phone number.' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsInternationalPhone()
  phone?: string;

  @ApiPropertyOptional({ description: 'The corrected email address.' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email?: string;
}

/** A data-subject request as an automation client or the console records it. Exactly one of phone, email, subject_id. */
export class CreateRequestDto {
  @ApiProperty({ enum: REQUEST_TYPES })
  @IsIn(REQUEST_TYPES)
  type!: RequestType;

  @ApiPropertyOptional({ example: '+16505551234' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsInternationalPhone()
  phone?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  subject_id?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'When the person made the request (the deadline runs from it); now when omitted. Not in the future.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  received_at?: string;

  @ApiPropertyOptional({
    example: 'email',
    description: 'How it was received: email, letter, phone, web_form… (a code).',
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @Matches(CODE, CODE_MESSAGE)
  source?: string;

  @ApiPropertyOptional({
    type: VerificationDto,
    description: 'How the identity was verified; only with the requests:verify scope.',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => VerificationDto)
  verification?: VerificationDto;

  @ApiPropertyOptional({ type: ChangesDto, description: 'Rectification only: the corrected values.' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ChangesDto)
  changes?: ChangesDto;

  @ApiPropertyOptional({ description: 'Restriction only: lift the restriction instead of setting it.' })
  @IsOptional()
  @IsBoolean()
  @Equals(true, { message: 'must be true when given' })
  lift?: boolean;
}

export class VerifyRequestDto extends VerificationDto {}

export class ExtendRequestDto {
  @ApiProperty({ enum: [1, 2], description: 'Further months (two in all at most).' })
  @IsInt()
  @IsIn([1, 2])
  months!: number;

  @ApiProperty({ description: 'Why the request needs longer (complexity, number of requests).' })
  @IsString()
  @Length(1, 2000)
  reason!: string;

  @ApiProperty({ format: 'date-time', description: 'When the person was told of the extension and why.' })
  @IsISO8601({ strict: true })
  subject_notified_at!: string;
}

export class ReasonDto {
  @ApiProperty()
  @IsString()
  @Length(1, 2000)
  reason!: string;
}

export class CancelRequestDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  reason?: string;
}

export class CompleteTaskDto {
  @ApiProperty({
    description: 'What was done and how it was confirmed. Stored sealed; its SHA-256 stays after erasure.',
  })
  @IsString()
  @Length(1, 4000)
  evidence!: string;

  @ApiPropertyOptional({ description: "The processor's ticket or confirmation number." })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  reference?: string;
}

export class RequestListQueryDto {
  @ApiPropertyOptional({ enum: REQUEST_STATUSES })
  @IsOptional()
  @IsIn(REQUEST_STATUSES)
  status?: RequestStatus;

  @ApiPropertyOptional({ enum: REQUEST_TYPES })
  @IsOptional()
  @IsIn(REQUEST_TYPES)
  type?: RequestType;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Only overdue requests, or none of them.' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'must be true or false' })
  overdue?: boolean;

  @ApiPropertyOptional({ format: 'date-time', description: 'Open requests due before this time.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  due_before?: string;

  @ApiPropertyOptional({ default: 50, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ExportQueryDto {
  @ApiPropertyOptional({ enum: ['json', 'html'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'html'])
  format?: 'json' | 'html';
}
