import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  type HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { DATABASE_RETRY_AFTER_SECONDS } from '../database/database-unavailable';
import { NotificationListener } from '../database/notification-listener';
import { processGuardHits } from '../process/process-guard';
import { Public } from '../http/auth.decorators';
import { LivenessResponse, ReadinessResponse } from './health.responses';

/**
 * Liveness (`/health/live`: the process runs and serves HTTP; restart it only when this fails) and
 * readiness (`/health/ready`, and `/health` for probes written before the split: the database answers, the
 * migrations ran, and the LISTEN connection is up; route traffic elsewhere while it fails, but do not
 * restart: the process recovers by itself when the database is back).
 */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly listener: NotificationListener,
  ) {}

  @Public()
  @Get('live')
  @ApiOkResponse({ type: LivenessResponse, description: 'The process is up (it may wait for its database).' })
  live(): LivenessResponse {
    return { status: 'ok', ready: true, process_guard_hits: processGuardHits() };
  }

  @Public()
  @Get('ready')
  @ApiOkResponse({
    type: ReadinessResponse,
    description: 'Ready: the database answers, migrations ran, notifications are live.',
  })
  @ApiServiceUnavailableResponse({
    type: ReadinessResponse,
    description: 'Not ready; Retry-After says when to ask again.',
  })
  ready(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.readiness(reply);
  }

  /** Readiness, as docker-compose, the Dockerfile's HEALTHCHECK and older probes ask it. */
  @Public()
  @Get()
  @ApiOkResponse({ type: ReadinessResponse, description: 'Ready (the same as /health/ready).' })
  @ApiServiceUnavailableResponse({
    type: ReadinessResponse,
    description: 'Not ready; Retry-After says when to ask again.',
  })
  check(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.readiness(reply);
  }

  private async readiness(reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.db.pingCheck('database', { timeout: 3000 }),
        // This application exists only once the migrations ran (bootstrap runs them before building it).
        () => this.indicators.check('migrations').up(),
        () => {
          const listen = this.indicators.check('listener');
          return this.listener.ready ? listen.up() : listen.down({ message: 'LISTEN connection down' });
        },
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503).header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      return error.getResponse() as HealthCheckResult;
    }
  }
}
