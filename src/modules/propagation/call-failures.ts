import { Injectable } from '@nestjs/common';
import {
  AuthFailedError,
  ConnectionService,
  ConnectorError,
  RateLimitedError,
  TransientError,
} from '../connectors';
import { scrubPersonalData } from '../../platform/logging/personal-data-scrubber';

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
      // The vendor's text is stored on the connection: scrubbed of the phones and emails it may echo.
      const message = scrubPersonalData(classified.message);
      await this.connections.markAuthFailed(connectionId, message);
      reported = new AuthFailedError(`connection auth_failed: ${message}`);
    }
    return {
      error: reported,
      halt: classified instanceof RateLimitedError || classified instanceof AuthFailedError,
    };
  }
}
