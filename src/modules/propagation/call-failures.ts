import { Injectable } from '@nestjs/common';
import {
  AuthFailedError,
  ConnectionService,
  ConnectorError,
  RateLimitedError,
  TransientError,
} from '../connectors';

/**
 * A whole vendor call failed (it threw rather than answering per item): the error is classed once, an auth
 * failure marks the connection auth_failed, and the drain stops on a rate limit or an auth failure.
 */
@Injectable()
export class CallFailures {
  constructor(private readonly connections: ConnectionService) {}

  async classify(connectionId: string, error: unknown): Promise<{ error: ConnectorError; halt: boolean }> {
    const classified =
      error instanceof ConnectorError ? error : new TransientError(`unexpected: ${(error as Error).message}`);
    let reported: ConnectorError = classified;
    if (classified instanceof AuthFailedError) {
      await this.connections.markAuthFailed(connectionId, classified.message);
      reported = new AuthFailedError(`connection auth_failed: ${classified.message}`);
    }
    return {
      error: reported,
      halt: classified instanceof RateLimitedError || classified instanceof AuthFailedError,
    };
  }
}
