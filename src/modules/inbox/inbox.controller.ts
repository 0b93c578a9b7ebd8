import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsUUID } from 'class-validator';
import { RequireScopes } from '../../platform/http/auth.decorators';
import { InboxReplayResponse } from './inbox.responses';
import { InboxService } from './inbox.service';

class ReplayInboxDto {
  @ApiPropertyOptional({
    type: [String],
    description: 'Inbox ids to process again; omit for every stored delivery.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10000)
  @IsUUID('all', { each: true })
  ids?: string[];

  @ApiProperty({ enum: ['whatsapp', 'hubspot'], required: false })
  @IsOptional()
  @IsIn(['whatsapp', 'hubspot'])
  provider?: 'whatsapp' | 'hubspot';
}

@ApiTags('inbox')
@ApiBearerAuth()
@Controller('v1/inbox')
@RequireScopes('inbox:admin')
export class InboxController {
  constructor(private readonly inbox: InboxService) {}

  /** Processes stored deliveries again (after a parser fix or a new keyword); idempotent per event. */
  @Post('replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: InboxReplayResponse })
  async replay(@Body() body: ReplayInboxDto) {
    return { queued: await this.inbox.replay(body) };
  }
}
