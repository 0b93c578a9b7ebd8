import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ProcessingActivityListResponse, ProcessingActivityResponse } from './dto/registry.responses';
import { ProblemDto } from '../../platform/http/problem.dto';
import { uuidParam } from '../../platform/http/problem';
import { RequireScopes } from '../../platform/http/auth.decorators';
import { CreateProcessingActivityDto, UpdateProcessingActivityDto } from './dto/processing-activity.dto';
import { ProcessingActivityService } from './processing-activity.service';

@ApiTags('registry')
@ApiBearerAuth()
@Controller('v1/processing-activities')
export class ProcessingActivitiesController {
  constructor(private readonly activities: ProcessingActivityService) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('registry:write')
  @ApiCreatedResponse({ type: ProcessingActivityResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  create(@Body() body: CreateProcessingActivityDto) {
    return this.activities.create(body);
  }

  @Get()
  @RequireScopes('registry:read')
  @ApiOkResponse({ type: ProcessingActivityListResponse })
  async list() {
    return { processing_activities: await this.activities.list() };
  }

  @Get(':id')
  @RequireScopes('registry:read')
  @ApiOkResponse({ type: ProcessingActivityResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(@Param('id', uuidParam('id')) id: string) {
    return this.activities.get(id);
  }

  @Patch(':id')
  @RequireScopes('registry:write')
  @ApiOkResponse({ type: ProcessingActivityResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateProcessingActivityDto) {
    return this.activities.update(id, body);
  }
}
