import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
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
  create(@Body() body: CreateProcessingActivityDto) {
    return this.activities.create(body);
  }

  @Get()
  @RequireScopes('registry:read')
  async list() {
    return { processing_activities: await this.activities.list() };
  }

  @Get(':id')
  @RequireScopes('registry:read')
  get(@Param('id', uuidParam('id')) id: string) {
    return this.activities.get(id);
  }

  @Patch(':id')
  @RequireScopes('registry:write')
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateProcessingActivityDto) {
    return this.activities.update(id, body);
  }
}
