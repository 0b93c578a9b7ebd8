import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuditRead } from '../../platform/http/audit.decorators';
import { type ApiPrincipal, Principal, RequireScopes } from '../../platform/http/auth.decorators';
import { uuidParam } from '../../platform/http/problem';
import { ProblemDto } from '../../platform/http/problem.dto';
import {
  CancelRequestDto,
  CompleteTaskDto,
  CreateRequestDto,
  ExportQueryDto,
  ExtendRequestDto,
  ReasonDto,
  RequestListQueryDto,
  VerifyRequestDto,
} from './dto/request.dto';
import {
  AccessExportResponse,
  RequestFiguresResponse,
  RequestPageResponse,
  RequestViewResponse,
} from './dto/request.responses';
import { RequestActions } from './request-actions.service';
import { RequestApi, actorName } from './request-api.service';
import { RequestExport } from './request-export.service';
import { RequestViews } from './request-views';

/**
 * Data-subject requests (GDPR Art. 15-21): recorded by automation clients and the console, each with its deadline,
 * history and one row per processor. Every change is audited (the audit interceptor records each POST); a look at
 * a request or its export is audited as a look at the person's data.
 */
@ApiTags('requests')
@ApiBearerAuth()
@Controller('v1/requests')
export class RequestsController {
  constructor(
    private readonly api: RequestApi,
    private readonly actions: RequestActions,
    private readonly views: RequestViews,
    private readonly exports: RequestExport,
  ) {}

  /** Records a request. Without a verification given by a caller holding requests:verify it waits for one. */
  @Post()
  @HttpCode(201)
  @RequireScopes('requests:write')
  @ApiCreatedResponse({ type: RequestViewResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'A rectification to a value another person holds.' })
  @ApiUnprocessableEntityResponse({ type: ProblemDto })
  async create(@Body() body: CreateRequestDto, @Principal() principal: ApiPrincipal) {
    const id = await this.api.create(body, principal);
    return this.views.get(id);
  }

  /** The inbox: newest received first; filter by status, type, overdue, due before. */
  @Get()
  @RequireScopes('requests:read')
  @ApiOkResponse({ type: RequestPageResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  list(@Query() query: RequestListQueryDto) {
    return this.views.list({
      status: query.status,
      type: query.type,
      overdue: query.overdue,
      dueBefore: query.due_before ? new Date(query.due_before) : undefined,
      limit: query.limit ?? 50,
      cursor: query.cursor,
    });
  }

  /** Open requests, those waiting for identity or processors, due soon and overdue: the overview's figures. */
  @Get('summary')
  @RequireScopes('requests:read')
  @ApiOkResponse({ type: RequestFiguresResponse })
  figures() {
    return this.views.figures();
  }

  @Get(':id')
  @RequireScopes('requests:read')
  @AuditRead('request.view')
  @ApiOkResponse({ type: RequestViewResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(@Param('id', uuidParam('id')) id: string) {
    return this.views.get(id);
  }

  /** Records how the requester's identity was verified; the request starts. */
  @Post(':id/verify')
  @HttpCode(200)
  @RequireScopes('requests:verify')
  @ApiOkResponse({ type: RequestViewResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiForbiddenResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  async verify(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: VerifyRequestDto,
    @Principal() principal: ApiPrincipal,
  ) {
    await this.actions.verify(id, { method: body.method, note: body.note ?? null }, actorName(principal));
    return this.views.get(id);
  }

  /** Art. 12(3): by one or two further months, within the first month, the person told why. */
  @Post(':id/extend')
  @HttpCode(200)
  @RequireScopes('requests:write')
  @ApiOkResponse({ type: RequestViewResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  @ApiUnprocessableEntityResponse({ type: ProblemDto })
  async extend(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: ExtendRequestDto,
    @Principal() principal: ApiPrincipal,
  ) {
    const input = {
      months: body.months,
      reason: body.reason,
      subjectNotifiedAt: new Date(body.subject_notified_at),
    };
    await this.actions.extend(id, input, actorName(principal));
    return this.views.get(id);
  }

  /** Stops the clock while the person is asked to prove who they are. */
  @Post(':id/pause')
  @HttpCode(200)
  @RequireScopes('requests:write')
  @ApiOkResponse({ type: RequestViewResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  async pause(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: ReasonDto,
    @Principal() principal: ApiPrincipal,
  ) {
    await this.actions.pause(id, body.reason, actorName(principal));
    return this.views.get(id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequireScopes('requests:write')
  @ApiOkResponse({ type: RequestViewResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  async resume(@Param('id', uuidParam('id')) id: string, @Principal() principal: ApiPrincipal) {
    await this.actions.resume(id, actorName(principal));
    return this.views.get(id);
  }

  @Post(':id/deny')
  @HttpCode(200)
  @RequireScopes('requests:write')
  @ApiOkResponse({ type: RequestViewResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  async deny(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: ReasonDto,
    @Principal() principal: ApiPrincipal,
  ) {
    await this.actions.deny(id, body.reason, actorName(principal));
    return this.views.get(id);
  }

  /** Withdraws the request; what already went out to processors is not called back (the history says so). */
  @Post(':id/cancel')
  @HttpCode(200)
  @RequireScopes('requests:write')
  @ApiOkResponse({ type: RequestViewResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  async cancel(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: CancelRequestDto,
    @Principal() principal: ApiPrincipal,
  ) {
    await this.actions.cancel(id, body.reason ?? null, actorName(principal));
    return this.views.get(id);
  }

  /** Completes a manual task (a processor reached by hand) with its evidence. */
  @Post(':id/tasks/:taskId/complete')
  @HttpCode(200)
  @RequireScopes('requests:write')
  @ApiOkResponse({ type: RequestViewResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ type: ProblemDto })
  async completeTask(
    @Param('id', uuidParam('id')) id: string,
    @Param('taskId', uuidParam('taskId')) taskId: string,
    @Body() body: CompleteTaskDto,
    @Principal() principal: ApiPrincipal,
  ) {
    await this.actions.completeTask(
      id,
      taskId,
      { evidence: body.evidence, reference: body.reference ?? null },
      actorName(principal),
    );
    return this.views.get(id);
  }

  /** The access export: JSON (machine-readable, portable) or a printable, self-contained HTML report. */
  @Get(':id/export')
  @RequireScopes('requests:read')
  @AuditRead('person.access_export')
  @ApiProduces('application/json', 'text/html')
  @ApiOkResponse({
    type: AccessExportResponse,
    description: 'JSON; with format=html a printable HTML report.',
  })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({
    type: ProblemDto,
    description: 'Not a completed access request, or the person is forgotten.',
  })
  async export(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: ExportQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const data = await this.exports.build(id);
    const stamp = data.generated_at.slice(0, 10);
    void reply.header('cache-control', 'no-store');
    if (query.format === 'html') {
      const page = this.exports.html(data);
      void reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', page.csp)
        .header('content-disposition', `inline; filename="access-export-${id}-${stamp}.html"`);
      return page.html;
    }
    void reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="access-export-${id}-${stamp}.json"`);
    return data;
  }
}
