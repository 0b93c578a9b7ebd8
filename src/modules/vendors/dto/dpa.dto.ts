import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { DPA_CREATE_STATUSES, SUBPROCESSOR_AUTHORIZATIONS } from '../registry.types';
import { IsDay } from './registry-common.dto';

/** The Art. 28(3)(a)-(h) checklist: whether the agreement binds the processor to each. Missing = false. */
export class DpaClausesDto {
  @ApiPropertyOptional({ description: '(a) acts only on documented instructions, incl. transfers' })
  @IsOptional()
  @IsBoolean()
  documented_instructions?: boolean;

  @ApiPropertyOptional({ description: '(b) persons authorised are bound to confidentiality' })
  @IsOptional()
  @IsBoolean()
  confidentiality?: boolean;

  @ApiPropertyOptional({ description: '(c) Art. 32 security measures' })
  @IsOptional()
  @IsBoolean()
  security_measures?: boolean;

  @ApiPropertyOptional({ description: '(d) sub-processor conditions of Art. 28(2) and (4)' })
  @IsOptional()
  @IsBoolean()
  sub_processor_conditions?: boolean;

  @ApiPropertyOptional({ description: '(e) assists with data-subject requests' })
  @IsOptional()
  @IsBoolean()
  assists_with_dsr?: boolean;

  @ApiPropertyOptional({ description: '(f) assists with Arts. 32-36' })
  @IsOptional()
  @IsBoolean()
  assists_with_32_36?: boolean;

  @ApiPropertyOptional({ description: '(g) deletes or returns the data at the end' })
  @IsOptional()
  @IsBoolean()
  deletion_or_return?: boolean;

  @ApiPropertyOptional({ description: '(h) information and audits' })
  @IsOptional()
  @IsBoolean()
  audit_rights?: boolean;
}

/** A new version of a vendor's agreement; earlier versions stay as they were. */
export class CreateDpaDto {
  @ApiProperty({ enum: DPA_CREATE_STATUSES })
  @IsIn(DPA_CREATE_STATUSES)
  status!: (typeof DPA_CREATE_STATUSES)[number];

  @ApiPropertyOptional({ example: '2025-05-01', description: 'Required when signed.' })
  @IsOptional()
  @IsDay()
  signed_at?: string;

  @ApiPropertyOptional({ example: '2025-05-01' })
  @IsOptional()
  @IsDay()
  effective_from?: string;

  @ApiPropertyOptional({
    example: '2027-05-01',
    description: 'The first day the agreement is no longer in force (expired from 00:00 UTC that day).',
  })
  @IsOptional()
  @IsDay()
  expires_at?: string;

  @ApiPropertyOptional({ example: '2026-05-01' })
  @IsOptional()
  @IsDay()
  review_due_at?: string;

  @ApiPropertyOptional({ type: DpaClausesDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => DpaClausesDto)
  clauses?: DpaClausesDto;

  @ApiPropertyOptional({ enum: SUBPROCESSOR_AUTHORIZATIONS })
  @IsOptional()
  @IsIn(SUBPROCESSOR_AUTHORIZATIONS)
  subprocessor_authorization?: (typeof SUBPROCESSOR_AUTHORIZATIONS)[number];

  @ApiPropertyOptional({
    description: 'Notice before a new sub-processor is engaged (general authorisation).',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(365)
  subprocessor_notice_days?: number;

  @ApiPropertyOptional({ example: 48 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(8760)
  breach_notification_hours?: number;

  @ApiPropertyOptional({ example: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  dsr_assistance_days?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(300)
  counterparty_signatory?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  notes?: string;
}

export const DPA_PATCH_STATUSES = ['in_negotiation', 'expired', 'terminated'] as const;

/** Moves a version on in its life (negotiating, expired, terminated); the facts of a version never change. */
export class UpdateDpaDto {
  @ApiPropertyOptional({ enum: DPA_PATCH_STATUSES })
  @IsOptional()
  @IsIn(DPA_PATCH_STATUSES)
  status?: (typeof DPA_PATCH_STATUSES)[number];

  @ApiPropertyOptional({ description: 'Why (termination notice, expiry).' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;

  @ApiPropertyOptional({ example: '2026-05-01' })
  @IsOptional()
  @IsDay()
  review_due_at?: string;
}
