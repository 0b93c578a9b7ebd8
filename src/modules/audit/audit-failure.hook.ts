import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { failureRecorder } from './audit.interceptor';
import { AuditService } from './audit.service';

/**
 * Installs the hook that records audited requests that did not succeed (see `failureRecorder`): a guard's
 * refusal happens before any interceptor runs, so only a hook on the answer sees every one of them.
 */
@Injectable()
export class AuditFailureHook implements OnModuleInit {
  private readonly logger = new Logger('AuditFailures');

  constructor(
    private readonly host: HttpAdapterHost,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter as { getInstance(): FastifyInstance } | undefined;
    if (!adapter) return; // a worker without HTTP
    adapter.getInstance().addHook('onSend', failureRecorder(this.audit, this.logger));
  }
}
