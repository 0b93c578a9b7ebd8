import { ApiProperty } from '@nestjs/swagger';

export class ConsentTotalsResponse {
  @ApiProperty({ description: 'Consent states granted (per subject and purpose/channel).' }) granted!: number;
  @ApiProperty() withdrawn!: number;
  @ApiProperty() subjects_granted!: number;
  @ApiProperty() subjects_withdrawn!: number;
}

export class DeliveryCountsResponse {
  @ApiProperty() succeeded!: number;
  @ApiProperty() pending!: number;
  @ApiProperty() in_progress!: number;
  @ApiProperty() retrying!: number;
  @ApiProperty() dead!: number;
  @ApiProperty() skipped!: number;
}

export class RecentDeliveriesResponse {
  @ApiProperty({ description: 'The window, in days, the counts and the health are judged over.' })
  days!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() skipped!: number;
  @ApiProperty() dead!: number;
  @ApiProperty({ description: 'Pending, in progress, retrying or awaiting confirmation.' }) open!: number;
}

export class HealthJudgementResponse {
  @ApiProperty({ enum: ['healthy', 'warning', 'failing'] }) level!: string;
  @ApiProperty({
    description: 'Why, in words ("5 of 6 deliveries skipped: no matching record at Salesforce").',
  })
  reason!: string;
}

export class ConnectionHealthResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() type!: string;
  @ApiProperty() status!: string;
  @ApiProperty({ format: 'uuid' }) vendor_id!: string;
  @ApiProperty() vendor_name!: string;
  @ApiProperty({ type: DeliveryCountsResponse }) deliveries!: DeliveryCountsResponse;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_success_at!: string | null;
  @ApiProperty({ type: RecentDeliveriesResponse }) recent!: RecentDeliveriesResponse;
  @ApiProperty({ type: HealthJudgementResponse }) health!: HealthJudgementResponse;
}

export class EventsOfDayResponse {
  @ApiProperty({ example: '2026-01-31' }) day!: string;
  @ApiProperty() granted!: number;
  @ApiProperty() withdrawn!: number;
}

export class OverviewResponse {
  @ApiProperty({ format: 'date-time' }) generated_at!: string;
  @ApiProperty({ type: ConsentTotalsResponse }) consent!: ConsentTotalsResponse;
  @ApiProperty({ description: 'Withdrawals that changed consent today (UTC).' }) withdrawals_today!: number;
  @ApiProperty({ description: "Days of deliveries the connections' counts cover (created since then)." })
  health_days!: number;
  @ApiProperty({ type: [ConnectionHealthResponse] }) connections!: ConnectionHealthResponse[];
  @ApiProperty({ type: [EventsOfDayResponse] }) events_per_day!: EventsOfDayResponse[];
}
