import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ProblemDto } from '../../platform/http/problem.dto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyService, bearerToken, readCookie, SESSION_COOKIE, SessionService } from '../auth';
import { uuidParam } from '../../platform/http/problem';
import { Principal, Public, RequireScopes, type ApiPrincipal } from '../../platform/http/auth.decorators';
import { AuditAction } from '../../platform/http/audit.decorators';
import { BackfillService } from './backfill.service';
import { ConnectionAdminService, STATE_TTL_MS } from './connection-admin.service';
import { ConnectionInvalidError, DuplicateConnectionError } from './connection.errors';
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
  OAuthProvidersResponse,
  TestedConnectionResponse,
  UnmatchedRecordsResponse,
} from './dto/connectors.responses';
import { RecordLinks } from './record-links.service';

/**
 * Binds an OAuth flow to the client that started it: /authorize sets a random value in this cookie and keeps
 * its keyed hash in the state; the callback of a flow started with an API key must bring it back (or the
 * same key). HttpOnly, so no script reads it; SameSite=Lax, so the vendor's top-level redirect back carries
 * it while a cross-site subrequest does not; scoped to the OAuth routes and as short-lived as the state.
 * Browsers and scripted clients that keep cookies both work. A flow started from the console is bound to the
 * session itself (its cookie), see OAuthStarter.
 */
const OAUTH_BINDING_COOKIE = 'cg_oauth_binding';
const OAUTH_COOKIE_PATH = '/v1/connections/oauth';

function bindingCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${OAUTH_BINDING_COOKIE}=${value}`,
    `Path=${OAUTH_COOKIE_PATH}`,
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

function oauthType(raw: string): 'hubspot' | 'salesforce' {
  if (raw === 'hubspot' || raw === 'salesforce') return raw;
  throw new ConnectionInvalidError('OAuth is available for hubspot and salesforce', [
    { field: 'type', message: 'must be hubspot or salesforce' },
  ]);
}

/** The console page that asks to confirm a second connection of an account, with what the flow asked for. */
function duplicateRedirect(
  type: 'hubspot' | 'salesforce',
  error: DuplicateConnectionError,
  payload: { name: string; baseUrl: string | null; loginUrl: string | null } | null,
): string {
  const query = new URLSearchParams({ duplicate_of: error.existing.id, type });
  if (payload) {
    query.set('name', payload.name);
    if (payload.baseUrl) query.set('base_url', payload.baseUrl);
    if (payload.loginUrl) query.set('login_url', payload.loginUrl);
  }
  return `/console/connections?${query.toString()}`;
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
    private readonly sessions: SessionService,
  ) {}

  /**
   * Connects an account with tokens (HubSpot private app, Salesforce) or a webhook URL. Secrets are never returned,
   * except a new webhook's signing secret, once. vendor_id needs registry:write (403 otherwise); without it the
   * connection gets a vendor record of its own.
   */
  @Post()
  @HttpCode(201)
  @RequireScopes('connections:admin')
  @ApiCreatedResponse({ type: CreatedConnectionResponse })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiForbiddenResponse({ type: ProblemDto, description: 'vendor_id without the scope registry:write.' })
  create(@Body() body: CreateConnectionDto, @Principal() principal: ApiPrincipal) {
    return this.admin.create(body, { principal });
  }

  @Get()
  @RequireScopes('connections:read')
  @ApiOkResponse({ type: ConnectionListResponse })
  async list() {
    return { connections: await this.connections.list() };
  }

  /** Which OAuth flows can be offered; for the others, the settings the gateway lacks (the console asks first). */
  @Get('oauth/providers')
  @RequireScopes('connections:read')
  @ApiOkResponse({ type: OAuthProvidersResponse })
  oauthProviders() {
    return { providers: this.admin.oauthProviders() };
  }

  /** Starts the OAuth web-server flow: redirects the admin's browser to the vendor's consent screen. */
  @Get('oauth/:type/authorize')
  @RequireScopes('connections:admin')
  @ApiFoundResponse({
    description:
      "Redirect to the vendor's consent screen; sets the flow's binding cookie (cg_oauth_binding).",
  })
  @ApiBadRequestResponse({ type: ProblemDto })
  @ApiForbiddenResponse({ type: ProblemDto, description: 'vendor_id without the scope registry:write.' })
  authorize(
    @Param('type') type: string,
    @Query() query: AuthorizeQueryDto,
    @Principal() principal: ApiPrincipal,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const { url, binding } = this.admin.authorize(
      oauthType(type),
      {
        name: query.name,
        vendorId: query.vendor_id,
        baseUrl: query.base_url,
        loginUrl: query.login_url,
        allowDuplicate: query.allow_duplicate === 'true',
      },
      {
        principal,
        sessionToken: principal.kind === 'user' ? readCookie(request.headers.cookie, SESSION_COOKIE) : null,
      },
    );
    void reply
      .status(302)
      .header('set-cookie', bindingCookie(binding, STATE_TTL_MS / 1000, this.sessions.secureCookies))
      .header('location', url)
      .send();
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
    private readonly keys: ApiKeyService,
  ) {}

  /** What the callback's request presents of the flow's starter: a live session, the binding cookie, a key. */
  private async presented(request: FastifyRequest) {
    const sessionToken = readCookie(request.headers.cookie, SESSION_COOKIE);
    const liveSession = sessionToken !== null && (await this.sessions.authenticate(sessionToken)) !== null;
    const key = bearerToken(request.headers.authorization);
    const keyPrincipal = key ? await this.keys.authenticate(key) : null;
    return {
      liveSession,
      credentials: {
        sessionToken: liveSession ? sessionToken : null,
        bindingCookie: readCookie(request.headers.cookie, OAUTH_BINDING_COOKIE),
        bearerKeyId: keyPrincipal?.keyId ?? null,
        isKeyActive: (keyId: string) => this.keys.isActive(keyId),
      },
    };
  }

  /**
   * Where the vendor sends the browser back; authenticated by the signed, short-lived, single-use state, which
   * must come from whoever started the flow: the same console session, or the binding cookie (or the same key)
   * of the API client.
   */
  @Public()
  @AuditAction('connection.oauth')
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
    const { liveSession, credentials } = await this.presented(request);
    const provider = oauthType(type);
    let connection: Awaited<ReturnType<ConnectionAdminService['completeOAuth']>>;
    try {
      connection = await this.admin.completeOAuth(provider, query.code, query.state, credentials);
    } catch (error) {
      // A console user whose account is already connected is sent back to the console, which asks them to
      // confirm; an API client gets the 409.
      if (!(liveSession && error instanceof DuplicateConnectionError)) throw error;
      void reply.header('set-cookie', bindingCookie('', 0, this.sessions.secureCookies));
      void reply
        .status(302)
        .header('location', duplicateRedirect(provider, error, this.admin.payloadOf(provider, query.state)));
      return { id: error.existing.id };
    }
    void reply.header('set-cookie', bindingCookie('', 0, this.sessions.secureCookies));
    // An admin connecting from the console is sent back to it; an API client gets the connection.
    if (liveSession) {
      void reply.status(302).header('location', `/console/connections?connected=${connection.id}`);
      return { id: connection.id };
    }
    return connection;
  }
}
