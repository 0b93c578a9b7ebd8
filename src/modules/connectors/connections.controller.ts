import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ProblemDto } from '../../platform/http/problem.dto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie, SESSION_COOKIE, SessionService } from '../auth';
import { uuidParam } from '../../platform/http/problem';
import { Public, RequireScopes } from '../../platform/http/auth.decorators';
import { BackfillService } from './backfill.service';
import { ConnectionAdminService } from './connection-admin.service';
import { ConnectionInvalidError } from './connection.errors';
import { ConnectionService } from './connection.service';
import {
  AuthorizeQueryDto,
  CreateConnectionDto,
  OAuthCallbackQueryDto,
  UpdateConnectionDto,
} from './dto/connection.dto';
import {
  BackfillProgressResponse,
  BackfillRunResponse,
  ConnectedRefResponse,
  ConnectionListResponse,
  ConnectionResponse,
  CreatedConnectionResponse,
  TestedConnectionResponse,
  UnmatchedRecordsResponse,
} from './dto/connectors.responses';
import { RecordLinks } from './record-links.service';

function oauthType(raw: string): 'hubspot' | 'salesforce' {
  if (raw === 'hubspot' || raw === 'salesforce') return raw;
  throw new ConnectionInvalidError('OAuth is available for hubspot and salesforce', [
    { field: 'type', message: 'must be hubspot or salesforce' },
  ]);
}

@ApiTags('connections')
@ApiBearerAuth()
@Controller('v1/connections')
export class ConnectionsController {
  constructor(
    private readonly admin: ConnectionAdminService,
    private readonly connections: ConnectionService,
    private readonly backfills: BackfillService,
    private readonly links: RecordLinks,
  ) {}

  /** Connects an account with tokens (HubSpot private app, Salesforce) or a webhook URL. Secrets are never returned, except a new webhook's signing secret, once. */
  @Post()
  @HttpCode(201)
  @RequireScopes('connections:admin')
  @ApiCreatedResponse({ type: CreatedConnectionResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  create(@Body() body: CreateConnectionDto) {
    return this.admin.create(body);
  }

  @Get()
  @RequireScopes('connections:read')
  @ApiOkResponse({ type: ConnectionListResponse })
  async list() {
    return { connections: await this.connections.list() };
  }

  /** Starts the OAuth web-server flow: redirects the admin's browser to the vendor's consent screen. */
  @Get('oauth/:type/authorize')
  @RequireScopes('connections:admin')
  @ApiFoundResponse({ description: "Redirect to the vendor's consent screen." })
  @ApiBadRequestResponse({ type: ProblemDto })
  authorize(@Param('type') type: string, @Query() query: AuthorizeQueryDto, @Res() reply: FastifyReply) {
    const url = this.admin.authorizeUrl(oauthType(type), {
      name: query.name,
      vendorId: query.vendor_id,
      baseUrl: query.base_url,
      loginUrl: query.login_url,
    });
    void reply.status(302).header('location', url).send();
  }

  @Get(':id')
  @RequireScopes('connections:read')
  @ApiOkResponse({ type: ConnectionResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(@Param('id', uuidParam('id')) id: string) {
    return this.connections.get(id);
  }

  /** Pause, resume, change the mapping, the erasure mode or the pacing. */
  @Patch(':id')
  @RequireScopes('connections:admin')
  @ApiOkResponse({ type: ConnectionResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateConnectionDto) {
    return this.admin.update(id, body);
  }

  /** Disconnects (propagation stops); credentials are kept so erasures can still reach the vendor. */
  @Delete(':id')
  @RequireScopes('connections:admin')
  @ApiOkResponse({ type: ConnectionResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  disconnect(@Param('id', uuidParam('id')) id: string) {
    return this.connections.disconnect(id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @RequireScopes('connections:admin')
  @ApiOkResponse({ type: TestedConnectionResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  test(@Param('id', uuidParam('id')) id: string) {
    return this.admin.test(id);
  }

  /** Imports the consent of every existing contact; resumable; progress from GET. */
  @Post(':id/backfill')
  @HttpCode(202)
  @RequireScopes('connections:admin')
  @ApiAcceptedResponse({ type: BackfillRunResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  backfill(@Param('id', uuidParam('id')) id: string) {
    return this.backfills.start(id);
  }

  @Get(':id/backfill')
  @RequireScopes('connections:read')
  @ApiOkResponse({ type: BackfillProgressResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  async backfillProgress(@Param('id', uuidParam('id')) id: string) {
    await this.connections.get(id);
    return { backfill: await this.backfills.latest(id) };
  }

  /** Records we could not match: which field of which record, and why (never the value). */
  @Get(':id/unmatched')
  @RequireScopes('connections:read')
  @ApiOkResponse({ type: UnmatchedRecordsResponse })
  @ApiNotFoundResponse({ type: ProblemDto })
  async unmatched(@Param('id', uuidParam('id')) id: string) {
    await this.connections.get(id);
    return this.links.unmatched(id);
  }
}

/** The OAuth redirect target: reached by the admin's browser, so authenticated by the signed state, not a key. */
@ApiTags('connections')
@Controller('v1/connections')
export class OAuthCallbackController {
  constructor(
    private readonly admin: ConnectionAdminService,
    private readonly sessions: SessionService,
  ) {}

  /** Where the vendor sends the browser back; authenticated by the signed, short-lived state. */
  @Public()
  @Get('oauth/:type/callback')
  @HttpCode(201)
  @ApiCreatedResponse({ type: ConnectionResponse })
  @ApiFoundResponse({
    type: ConnectedRefResponse,
    description: 'From the console (a session cookie): redirect back to it.',
  })
  @ApiBadRequestResponse({ type: ProblemDto })
  async callback(
    @Param('type') type: string,
    @Query() query: OAuthCallbackQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const connection = await this.admin.completeOAuth(oauthType(type), query.code, query.state);
    // An admin connecting from the console is sent back to it; an API client gets the connection.
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (token && (await this.sessions.authenticate(token))) {
      void reply.status(302).header('location', `/console/connections?connected=${connection.id}`);
      return { id: connection.id };
    }
    return connection;
  }
}
