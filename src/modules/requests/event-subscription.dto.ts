import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsString,
  MaxLength,
} from 'class-validator';
import { REQUEST_EVENT_TYPES } from './event-types';

/** `POST /v1/event-subscriptions`: where to send which request events. */
export class CreateEventSubscriptionDto {
  @ApiProperty({
    description:
      'The receiver (https; http only for hosts in OUTBOUND_ALLOWLIST). Private addresses are refused.',
    example: 'https://hooks.example.com/consent-gateway',
  })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ enum: REQUEST_EVENT_TYPES, isArray: true, example: ['request.created', 'request.overdue'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(REQUEST_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(REQUEST_EVENT_TYPES, { each: true })
  events!: string[];
}
