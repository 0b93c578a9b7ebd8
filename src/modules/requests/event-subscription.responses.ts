import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { REQUEST_EVENT_TYPES } from './event-types';

const time = { format: 'date-time', nullable: true, type: String } as const;

/** A subscription as every route returns it: the secret never, except once on creation. */
export class EventSubscriptionResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: REQUEST_EVENT_TYPES, isArray: true }) events!: string[];
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty(time) disabled_at!: string | null;
}

export class CreatedEventSubscriptionResponse extends EventSubscriptionResponse {
  @ApiPropertyOptional({
    description:
      'The Standard Webhooks signing secret (whsec_...): returned once, on creation, never again. Verify webhook-signature with it.',
  })
  secret!: string;
}

export class EventSubscriptionListResponse {
  @ApiProperty({ type: [EventSubscriptionResponse] }) items!: EventSubscriptionResponse[];
}

/** One event owed to the subscription and how its delivery went (never the person's contact). */
export class EventDeliveryResponse {
  @ApiProperty({ format: 'uuid', description: 'Also the webhook-id header of every attempt.' }) id!: string;
  @ApiProperty({ enum: REQUEST_EVENT_TYPES }) type!: string;
  @ApiProperty({ format: 'uuid' }) request_id!: string;
  @ApiProperty({ enum: ['pending', 'retrying', 'delivered', 'failed'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: "The receiver's HTTP status at the last attempt.",
  })
  last_status!: number | null;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty(time) next_attempt_at!: string | null;
  @ApiProperty(time) delivered_at!: string | null;
  @ApiProperty(time) given_up_at!: string | null;
}

export class EventDeliveryListResponse {
  @ApiProperty({ type: [EventDeliveryResponse] }) items!: EventDeliveryResponse[];
}
