import { ApiProperty } from '@nestjs/swagger';

class DeliveryDayResponse {
  @ApiProperty({ example: '2026-12-06', description: 'UTC day the deliveries were created.' }) day!: string;
  @ApiProperty({ description: 'Succeeded at the first attempt.' }) succeeded!: number;
  @ApiProperty({ description: 'Succeeded after more than one attempt, or retrying now.' }) retried!: number;
  @ApiProperty() dead!: number;
  @ApiProperty() skipped!: number;
}

class ConnectionDeliveriesResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [DeliveryDayResponse], description: 'Every day of the range, oldest first.' })
  days!: DeliveryDayResponse[];
}

export class DeliveriesChartResponse {
  @ApiProperty({ type: [String], description: 'The UTC days shown, oldest first.' }) days!: string[];
  @ApiProperty({
    type: [ConnectionDeliveriesResponse],
    description: 'Connections with deliveries in the range.',
  })
  connections!: ConnectionDeliveriesResponse[];
}

class ConsentDayResponse {
  @ApiProperty({ example: '2026-12-06' }) day!: string;
  @ApiProperty() granted!: number;
  @ApiProperty() withdrawn!: number;
}

class SourceChangesResponse {
  @ApiProperty({ example: 'whatsapp', description: 'Where the changes came from.' }) source!: string;
  @ApiProperty({ type: [ConsentDayResponse], description: 'Every day of the range, oldest first.' })
  days!: ConsentDayResponse[];
}

export class ConsentChangesChartResponse {
  @ApiProperty({ type: [String], description: 'The UTC days shown, oldest first.' }) days!: string[];
  @ApiProperty({ type: [SourceChangesResponse], description: 'Sources with changes in the range.' })
  sources!: SourceChangesResponse[];
}
