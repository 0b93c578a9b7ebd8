import { Body, Controller, Get, Param, Patch, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiPropertyOptional,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { DpaDetailResponse } from './dto/registry.responses';
import { ProblemDto } from '../../platform/http/problem.dto';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { uuidParam } from '../../platform/http/problem';
import { RequireScopes } from '../../platform/http/auth.decorators';
import { contentDisposition } from './dpa-document';
import { DpaService } from './dpa.service';
import { UpdateDpaDto } from './dto/dpa.dto';
import { DPA_DOCUMENT_TYPES } from './registry.types';

class DocumentQueryDto {
  @ApiPropertyOptional({ description: 'File name to store with the document.' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string;
}

@ApiTags('registry')
@ApiBearerAuth()
@Controller('v1/dpas')
export class DpasController {
  constructor(private readonly dpas: DpaService) {}

  @Get(':id')
  @RequireScopes('registry:read')
  @ApiOkResponse({ type: DpaDetailResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(@Param('id', uuidParam('id')) id: string) {
    return this.dpas.get(id);
  }

  /** Status moves that keep history (in negotiation, expired, terminated) and the review date. */
  @Patch(':id')
  @RequireScopes('registry:write')
  @ApiOkResponse({ type: DpaDetailResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateDpaDto) {
    return this.dpas.update(id, body);
  }

  /** Uploads the signed agreement as the raw file (PDF or DOCX, at most 10 MB), once per version. */
  @Put(':id/document')
  @RequireScopes('registry:write')
  @ApiConsumes(...Object.keys(DPA_DOCUMENT_TYPES))
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiOkResponse({ type: DpaDetailResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  @ApiPayloadTooLargeResponse({ type: ProblemDto })
  @ApiUnsupportedMediaTypeResponse({ type: ProblemDto })
  upload(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: DocumentQueryDto,
    @Req() request: FastifyRequest,
  ) {
    return this.dpas.uploadDocument(id, {
      contentType: request.headers['content-type'],
      contentLength: request.headers['content-length'],
      body: request.body,
      name: query.name,
    });
  }

  /** The stored document, byte for byte, with its SHA-256 in a header. */
  @Get(':id/document')
  @RequireScopes('registry:read')
  @ApiOkResponse({
    description: 'The document, byte for byte.',
    schema: { type: 'string', format: 'binary' },
  })
  @ApiNotFoundResponse({ type: ProblemDto })
  async download(@Param('id', uuidParam('id')) id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const document = await this.dpas.document(id);
    void reply
      .header('content-type', document.type)
      .header('content-disposition', contentDisposition(document.name))
      .header('x-content-sha256', document.sha256)
      .header('cache-control', 'no-store');
    return document.content;
  }
}
