import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProperty,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { SessionResponse } from './dto/auth.responses';
import { ProblemDto } from '../../platform/http/problem.dto';
import { IsString, Length } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { Public } from '../../platform/http/auth.decorators';
import { InsufficientScopeError, NotSignedInError } from './auth.errors';
import { ROLE_SCOPES } from './roles';
import { readCookie, SESSION_COOKIE, SessionService } from './session.service';
import { SignInService } from './sign-in.service';
import { userView } from './user.service';

class LoginDto {
  @ApiProperty({ example: 'dpo@example.com' })
  @IsString()
  @Length(3, 254)
  email!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 256)
  password!: string;
}

/** Console sign-in. The session lives in an HttpOnly cookie; the CSRF token is returned to the page. */
@ApiTags('console session')
@Controller('console/api/session')
export class SessionController {
  constructor(
    private readonly sessions: SessionService,
    private readonly signIn: SignInService,
  ) {}

  @Public()
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: SessionResponse })
  @ApiUnauthorizedResponse({ type: ProblemDto })
  async login(
    @Body() body: LoginDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const result = await this.signIn.login(body.email, body.password, {
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    });
    void reply.header('set-cookie', this.sessions.cookie(result.token, result.maxAgeSeconds));
    void reply.header('cache-control', 'no-store');
    return { user: { ...result.user, scopes: ROLE_SCOPES[result.user.role] }, csrf_token: result.csrfToken };
  }

  @Public()
  @Get()
  @ApiOkResponse({ type: SessionResponse })
  @ApiUnauthorizedResponse({ type: ProblemDto })
  async current(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    const session = token ? await this.sessions.authenticate(token) : null;
    if (!session) throw new NotSignedInError('Not signed in.');
    void reply.header('cache-control', 'no-store');
    return {
      user: { ...userView(session.user), scopes: session.principal.scopes },
      csrf_token: session.principal.csrfToken,
    };
  }

  @Public()
  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiUnauthorizedResponse({ type: ProblemDto })
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    const session = token ? await this.sessions.authenticate(token) : null;
    if (!token || !session) throw new NotSignedInError('Not signed in.');
    const csrf = request.headers['x-csrf-token'];
    if (typeof csrf !== 'string' || !CryptoService.safeEqual(csrf, session.principal.csrfToken)) {
      throw new InsufficientScopeError('Missing or wrong X-CSRF-Token.', [
        { field: 'x-csrf-token', message: 'missing or wrong' },
      ]);
    }
    await this.sessions.logout(token);
    void reply.header('set-cookie', this.sessions.cookie('', 0));
  }
}
