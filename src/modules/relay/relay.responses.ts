import { ApiProperty } from '@nestjs/swagger';

export class RelayDestinationResponse {
  @ApiProperty({ description: 'Stable key of the destination (first 16 hex digits of the URL’s SHA-256).' })
  key!: string;
  @ApiProperty({ description: 'The URL without query string or credentials.' }) url!: string;
  @ApiProperty({ description: 'false: taken out of WHATSAPP_FORWARD_URLS, rows remain.' })
  configured!: boolean;
  @ApiProperty() forwarded!: number;
  @ApiProperty({ description: 'Pending after at least one failed attempt.' }) retrying!: number;
  @ApiProperty({ description: 'Not yet forwarded (retrying included).' }) pending!: number;
  @ApiProperty({ description: 'Given up at the horizon; replayable.' }) dead!: number;
  @ApiProperty({ description: 'Stopped by a person’s erasure; never forwarded.' }) erased!: number;
  @ApiProperty({ description: 'Age in seconds of the oldest delivery not yet forwarded (0: none).' })
  lagSeconds!: number;
}

export class RelayDestinationListResponse {
  @ApiProperty({ type: [RelayDestinationResponse] }) items!: RelayDestinationResponse[];
}

export class RelayDeliveryResponse {
  @ApiProperty({ description: 'The row’s id (its sequence number).' }) id!: string;
  @ApiProperty({ description: 'X-Consent-Gateway-Delivery: SHA-256 of Meta’s body.' }) deliveryId!: string;
  @ApiProperty() destination!: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'dead', 'erased'] }) status!: string;
  @ApiProperty({ enum: ['withdrawn', 'granted', 'none'] }) consent!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty() receivedAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) nextAttemptAt!: Date | null;
  @ApiProperty({ nullable: true, type: Number }) lastStatus!: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: Date }) deliveredAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) deadAt!: Date | null;
}

export class RelayDeliveryPageResponse {
  @ApiProperty({ type: [RelayDeliveryResponse] }) items!: RelayDeliveryResponse[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `before` for the next (older) page.' })
  next!: string | null;
}

export class RelayReplayResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['pending'] }) status!: string;
}

export class RelayReplayDeadResponse {
  @ApiProperty({ description: 'Dead deliveries made pending again.' }) replayed!: number;
}
