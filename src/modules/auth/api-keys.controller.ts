import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyListResponse, ApiKeyResponse, CreatedApiKeyResponse } from './dto/auth.responses';
import { ProblemDto } from '../../platform/http/problem.dto';
import { uuidParam } from '../../platform/http/problem';
import { ApiKeyService } from './api-key.service';
import { type ApiPrincipal, Principal, RequireScopes } from '../../platform/http/auth.decorators';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

@ApiTags('api keys')
@ApiBearerAuth()
@Controller('v1/api-keys')
@RequireScopes('keys:admin')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  /**
   * Creates a key; the response is the only time the key itself is shown. A key holds at most the
   * scopes of whoever creates it (403 naming the others).
   */
  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: CreatedApiKeyResponse })
  @ApiForbiddenResponse({ type: ProblemDto, description: 'A scope the caller does not hold.' })
  create(@Body() body: CreateApiKeyDto, @Principal() principal: ApiPrincipal) {
    return this.keys.createAs(
      principal,
      body.name,
      body.scopes,
      body.expires_at ? new Date(body.expires_at) : null,
    );
  }

  @Get()
  @ApiOkResponse({ type: ApiKeyListResponse })
  async list() {
    return { api_keys: await this.keys.list() };
  }

  @Delete(':id')
  @ApiOkResponse({ type: ApiKeyResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  revoke(@Param('id', uuidParam('id')) id: string) {
    return this.keys.revoke(id);
  }
}
