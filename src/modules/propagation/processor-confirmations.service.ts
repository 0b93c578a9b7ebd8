import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Clock } from '../../platform/clock/clock';
import { ConnectionDirectory, ConnectionService, verifyStandardWebhook } from '../connectors';
import { parseConfirmationBody } from './processor-confirmation.body';
import {
  ConfirmationBodyError,
  ConfirmationSignatureError,
  DeliveryNotFoundError,
} from './propagation.errors';
import { type ConfirmationChange, RequestDeliveryRepository } from './request-delivery.repository';
import { SettleHooks } from './settle-hooks';
import { scrubbedText } from '../../platform/logging/personal-data-scrubber';

/** Confirmations settled per transaction by the sweep. */
const SWEEP_BATCH = 500;
/** A processor's webhook-id kept as evidence is cut to this length (it is the processor's text). */
const MAX_WEBHOOK_ID = 200;

export type ConfirmationResult = { status: 'recorded' | 'duplicate'; deliveryStatus: string };

/**
 * A webhook processor acknowledges an erasure request at once and confirms it later by a signed callback
 * (Standard Webhooks, with its connection's own signing secret). The confirmation settles the delivery
 * (succeeded, or dead when the processor reports a failure) with its proof: when, the webhook-id and a digest
 * of the signature. Without one by `confirmation_due_at` the delivery is settled as succeeded, flagged
 * acknowledged_not_confirmed. Callbacks are idempotent on webhook-id.
 */
@Injectable()
export class ProcessorConfirmations {
  private readonly logger = new Logger(ProcessorConfirmations.name);

  constructor(
    private readonly directory: ConnectionDirectory,
    private readonly connections: ConnectionService,
    private readonly rows: RequestDeliveryRepository,
    private readonly settle: SettleHooks,
    private readonly clock: Clock,
  ) {}

  async confirm(input: {
    connectionId: string;
    headers: Record<string, string | string[] | undefined>;
    rawBody: Buffer | undefined;
  }): Promise<ConfirmationResult> {
    const secret = await this.signingSecretOf(input.connectionId);
    const verification =
      secret && input.rawBody
        ? verifyStandardWebhook(secret, input.headers, input.rawBody, {
            nowSeconds: Math.floor(this.clock.now() / 1000),
          })
        : null;
    if (!verification?.valid)
      throw new ConfirmationSignatureError('The webhook signature is missing, stale or does not match.', [
        { field: 'webhook-signature', message: 'missing, stale or invalid' },
      ]);
    const body = parseConfirmationBody(input.rawBody!);
    const signature = String(input.headers['webhook-signature']);
    const webhookId = verification.id.slice(0, MAX_WEBHOOK_ID);
    let result: ConfirmationResult = { status: 'duplicate', deliveryStatus: '' };
    await this.settle.within(async (manager) => {
      const row = await this.rows.lockForConfirmation(manager, body.deliveryId, input.connectionId);
      if (!row) throw new DeliveryNotFoundError('No such delivery at this connection.');
      if (row.operation !== 'erasure')
        throw new ConfirmationBodyError('The delivery named is not an erasure.', [
          { field: 'data.delivery_id', message: 'names a delivery that is not an erasure' },
        ]);
      result = { status: 'duplicate', deliveryStatus: row.status };
      // The same callback again, or a second one after a confirmation was recorded: nothing changes.
      if (row.evidence.webhook_id === webhookId || row.evidence.confirmation !== undefined) return [];
      const completed = body.type === 'subject.erasure_completed';
      const evidence: Record<string, unknown> = {
        confirmation: completed ? 'completed' : 'failed',
        confirmed_at: new Date(this.clock.now()).toISOString(),
        webhook_id: webhookId,
        signature_sha256: createHash('sha256').update(signature).digest('hex'),
      };
      const change: ConfirmationChange = { status: null, reason: null, lastError: null, evidence };
      switch (row.status) {
        case 'awaiting_confirmation':
          change.status = completed ? 'succeeded' : 'dead';
          if (!completed) {
            change.reason = 'processor_reported_failure';
            change.lastError =
              body.detail === null
                ? 'the processor reported that the erasure failed'
                : scrubbedText(body.detail, 500);
          }
          break;
        case 'succeeded':
          // The wait had run out (acknowledged, not confirmed): the late answer is kept as proof.
          evidence.late = true;
          break;
        case 'pending':
        case 'retrying':
        case 'in_progress':
          // It arrived before the acknowledgement was recorded: recording that settles it at once.
          break;
        case 'dead':
        case 'skipped':
          evidence.after_final_status = row.status;
          break;
      }
      const updated = await this.rows.confirm(manager, row.id, change);
      result = { status: 'recorded', deliveryStatus: updated.status };
      return change.status ? [updated] : [];
    });
    this.logger.log(
      { deliveryId: body.deliveryId, outcome: result.status },
      'processor confirmation received',
    );
    return result;
  }

  /** Settles every confirmation whose wait has run out (the worker's maintenance tick, every minute). */
  async settleOverdue(): Promise<number> {
    let settled = 0;
    for (;;) {
      const rows = await this.settle.within((manager) =>
        this.rows.settleOverdue(manager, new Date(this.clock.now()), SWEEP_BATCH),
      );
      settled += rows.length;
      if (rows.length < SWEEP_BATCH) return settled;
    }
  }

  /** The signing secret of a webhook connection; null for any other or unknown connection (answered 401). */
  private async signingSecretOf(connectionId: string): Promise<string | null> {
    const summary = (await this.directory.byIds([connectionId])).get(connectionId);
    if (summary?.type !== 'webhook') return null;
    return (await this.connections.context(connectionId)).credentials.signingSecret ?? null;
  }
}
