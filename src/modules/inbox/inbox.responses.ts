import { ApiProperty } from '@nestjs/swagger';

/** A webhook delivery's acknowledgement (WhatsApp, HubSpot): sent once the delivery is stored in the inbox. */
export class WebhookAckResponse {
  @ApiProperty({
    enum: ['received', 'duplicate'],
    description: 'duplicate: these exact bytes were stored before (a retry).',
  })
  status!: string;
}

export class InboxReplayResponse {
  @ApiProperty({ description: 'Stored deliveries queued to be processed again.' }) queued!: number;
}
