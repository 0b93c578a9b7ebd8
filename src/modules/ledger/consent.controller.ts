import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ProblemDto } from '../../platform/http/problem.dto';
import { createValidationPipe, uuidParam } from '../../platform/http/problem';
import { AuditRead } from '../../platform/http/audit.decorators';
import { type ApiPrincipal, Principal, RequireScopes } from '../../platform/http/auth.decorators';
import { ConsentCommandService } from './consent-command.service';
import { ConsentQueryService } from './consent-query.service';
import { ConsentEventBatchDto, ConsentEventDto } from './dto/consent-event.dto';
import {
  ConsentCheckResponse,
  ConsentStatesResponse,
  RecordedBatchResponse,
  RecordedEventResponse,
  TimelineResponse,
} from './dto/ledger.responses';
import { ConsentCheckDto, SubjectLookupDto } from './dto/lookup.dto';
import { ConsentRequestInvalidError } from './ledger.errors';
import { SubjectTimelineService } from './subject-timeline.service';

const pipe = createValidationPipe();

@ApiTags('consent')
@ApiBearerAuth()
@ApiExtraModels(ConsentEventDto, ConsentEventBatchDto, RecordedEventResponse, RecordedBatchResponse)
@Controller('v1')
export class ConsentController {
  constructor(
    private readonly commands: ConsentCommandService,
    private readonly queries: ConsentQueryService,
    private readonly timelines: SubjectTimelineService,
  ) {}

  /** One event, or `{ "events": [...] }` with up to 1000; idempotent by each event's event_id. */
  @Post('consent-events')
  @HttpCode(200)
  @RequireScopes('consent:write')
  @ApiBody({
    schema: {
      oneOf: [{ $ref: getSchemaPath(ConsentEventDto) }, { $ref: getSchemaPath(ConsentEventBatchDto) }],
    },
  })
  @ApiOkResponse({
    description: 'The outcome of the event, or `{ "results": [...] }` for a batch.',
    schema: {
      oneOf: [{ $ref: getSchemaPath(RecordedEventResponse) }, { $ref: getSchemaPath(RecordedBatchResponse) }],
    },
  })
  @ApiBadRequestResponse({ type: ProblemDto })
  async record(@Body() body: unknown, @Principal() principal: ApiPrincipal) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ConsentRequestInvalidError('The body must be a JSON object.', [
        { field: 'body', message: 'must be an object' },
      ]);
    }
    const isBatch = 'events' in body;
    const metatype = isBatch ? ConsentEventBatchDto : ConsentEventDto;
    const dto = (await pipe.transform(body, { type: 'body', metatype })) as
      ConsentEventDto | ConsentEventBatchDto;
    if (dto instanceof ConsentEventBatchDto) {
      const results = await this.commands.record(dto.events, principal, (i) => `events.${i}.`);
      return { results };
    }
    const [result] = await this.commands.record([dto], principal, () => '');
    return result;
  }

  @Get('consents')
  @RequireScopes('consent:read')
  @AuditRead('person.consents')
  @ApiOkResponse({ type: ConsentStatesResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  states(@Query() query: SubjectLookupDto) {
    return this.queries.states(query);
  }

  /** "May I message this person?" Unknown people are not allowed (reason no_consent). */
  @Get('consents/check')
  @RequireScopes('consent:read')
  @ApiOkResponse({ type: ConsentCheckResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  check(@Query() query: ConsentCheckDto) {
    return this.queries.check(query);
  }

  @Get('subjects/:id/timeline')
  @RequireScopes('subjects:read')
  @AuditRead('person.timeline')
  @ApiOkResponse({ type: TimelineResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  timeline(@Param('id', uuidParam('id')) id: string) {
    return this.timelines.timeline(id);
  }
}
