import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsISO31661Alpha2,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { IsCalendarDate } from '../../../platform/http/calendar-date';
import { TRANSFER_MECHANISMS, type Transfer, type TransferMechanism } from '../registry.types';

/** A calendar day, YYYY-MM-DD, that exists (2026-02-30 does not). */
export const IsDay = () => IsCalendarDate({ message: 'must be a date as YYYY-MM-DD' });

/** A transfer to a third country and its Chapter V safeguard. */
export class TransferDto {
  @ApiProperty({ example: 'US', description: 'ISO 3166-1 alpha-2' })
  @IsISO31661Alpha2({ message: 'must be a two-letter country code, such as DE' })
  country!: string;

  @ApiProperty({ enum: TRANSFER_MECHANISMS })
  @IsIn(TRANSFER_MECHANISMS)
  mechanism!: TransferMechanism;

  @ApiPropertyOptional({ minimum: 1, maximum: 4, description: 'Module of the 2021 SCCs; required for sccs.' })
  @ValidateIf((o: TransferDto) => o.mechanism === 'sccs' || o.sccs_module !== undefined)
  @IsInt({ message: 'must be the SCC module (1-4) when the mechanism is sccs' })
  @Min(1)
  @Max(4)
  sccs_module?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  notes?: string;
}

/** SCC modules belong to SCC transfers only. */
export function checkTransfers(field: string, transfers: readonly TransferDto[] | undefined | null) {
  return (transfers ?? []).flatMap((t, i) =>
    t.mechanism !== 'sccs' && t.sccs_module != null
      ? [{ field: `${field}.${i}.sccs_module`, message: 'is only given with mechanism sccs' }]
      : [],
  );
}

export function transfersArray(transfers: readonly TransferDto[]): Transfer[] {
  return transfers.map((t) => ({
    country: t.country,
    mechanism: t.mechanism,
    sccs_module: t.mechanism === 'sccs' ? (t.sccs_module ?? null) : null,
    notes: t.notes ?? null,
  }));
}
