import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { ACTIVITY_STATUSES, LEGAL_BASES, type LegalBasis } from '../registry.types';
import { TransferDto } from './registry-common.dto';

const LIST = { each: true } as const;

/** One row of the Art. 30(1) record. */
export class CreateProcessingActivityDto {
  @ApiProperty({ example: 'WhatsApp marketing' })
  @IsString({ message: 'must be text' })
  @Length(1, 200, { message: 'must be given, at most 200 characters' })
  name!: string;

  @ApiProperty({ example: 'Sending offers on WhatsApp to people who opted in' })
  @IsString({ message: 'must be text' })
  @Length(1, 2000, { message: 'must be given, at most 2000 characters' })
  purpose!: string;

  @ApiProperty({ enum: LEGAL_BASES, description: 'Art. 6(1)' })
  @IsIn(LEGAL_BASES, { message: `must be one of ${LEGAL_BASES.join(', ')}` })
  legal_basis!: LegalBasis;

  @ApiPropertyOptional({ description: 'The interest pursued; required with legitimate_interests.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  legitimate_interest?: string | null;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString(LIST)
  @Length(1, 200, LIST)
  data_categories?: string[] | null;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString(LIST)
  @Length(1, 200, LIST)
  data_subjects?: string[] | null;

  @ApiPropertyOptional({ type: [String], description: 'Vendor ids of the recipients.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsUUID('all', { each: true, message: 'must name vendors (their ids)' })
  recipients?: string[] | null;

  @ApiPropertyOptional({ type: [TransferDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => TransferDto)
  transfers?: TransferDto[] | null;

  @ApiPropertyOptional({ example: '24 months after the last interaction' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  retention?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  security_measures?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  dpia_required?: boolean | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  dpia_reference?: string | null;

  @ApiPropertyOptional({ description: 'Controller (and DPO) contact details.' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  controller_contact?: string | null;

  @ApiPropertyOptional({ enum: ACTIVITY_STATUSES })
  @IsOptional()
  @IsIn(ACTIVITY_STATUSES, { message: `must be one of ${ACTIVITY_STATUSES.join(', ')}` })
  status?: (typeof ACTIVITY_STATUSES)[number] | null;
}

export class UpdateProcessingActivityDto extends PartialType(CreateProcessingActivityDto) {}
