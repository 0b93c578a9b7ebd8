import { Injectable } from '@nestjs/common';
import type { Connector, ErasurePush, RequestOutcome } from '../connectors';
import { CallFailures } from './call-failures';
import { DPA_MISSING } from './dpa-hold';
import { HeldDeliveries } from './held-deliveries.service';
import { OutcomeRecorder } from './outcome-recorder';
import type { RequestOperation } from './propagation.constants';
import type { ClaimedDelivery } from './record-outcomes';
import { type RequestBatch, RequestPushBuilder } from './request-push-builder';

/** The connection a request batch goes to. */
export interface RequestTarget {
  id: string;
  name: string;
  erasureMode: ErasurePush['mode'];
}

/**
 * Sends one data-subject request operation's claimed deliveries through the connector (one call, one operation)
 * and records every outcome. Art. 28: rectified values and access pulls wait for a valid DPA (held, skipped
 * dpa_missing, released with the DPA); erasures and restrictions always go out, flagged dpa_missing.
 */
@Injectable()
export class RequestDrain {
  constructor(
    private readonly builder: RequestPushBuilder,
    private readonly held: HeldDeliveries,
    private readonly recorder: OutcomeRecorder,
    private readonly failures: CallFailures,
  ) {}

  /** Returns whether the drain must stop (rate limited, or the credentials are dead). */
  async send(
    connector: Connector,
    connection: RequestTarget,
    operation: RequestOperation,
    claimed: readonly ClaimedDelivery[],
  ): Promise<boolean> {
    const { batch, unsendable } = await this.builder.build(connection, operation, claimed);
    const ended: RequestOutcome[] = unsendable.map((u) => ({
      deliveryId: u.deliveryId,
      outcome: 'skipped',
      reason: u.reason,
    }));
    const held = await this.held.screen(
      connection.id,
      batch.items.map((i) => ({ deliveryId: i.deliveryId, operation, states: [] })),
    );
    for (const deliveryId of held) ended.push({ deliveryId, outcome: 'skipped', reason: DPA_MISSING });
    const pushes = batch.items.map((i) => ({ deliveryId: i.deliveryId, subjectId: i.subjectId }));
    const sending = batch.items.filter((i) => !held.has(i.deliveryId)).length;
    if (sending === 0) {
      await this.recorder.record(connection, claimed, ended, pushes);
      return false;
    }
    try {
      const outcomes = await this.call(connector, batch, (id) => !held.has(id));
      await this.recorder.record(connection, claimed, [...ended, ...outcomes], pushes);
      return false;
    } catch (error) {
      const failure = await this.failures.classify(connection.id, error);
      const failed = batch.items
        .filter((i) => !held.has(i.deliveryId))
        .map((i): RequestOutcome => ({ deliveryId: i.deliveryId, outcome: 'failed', error: failure.error }));
      await this.recorder.record(connection, claimed, [...ended, ...failed], pushes);
      return failure.halt;
    }
  }

  private call(connector: Connector, batch: RequestBatch, send: (deliveryId: string) => boolean) {
    switch (batch.operation) {
      case 'erasure':
        return connector.erase(batch.items.filter((i) => send(i.deliveryId)));
      case 'restriction':
        return connector.restrict(batch.items.filter((i) => send(i.deliveryId)));
      case 'rectification':
        return connector.rectify(batch.items.filter((i) => send(i.deliveryId)));
      case 'access_export':
        return connector.readPerson(batch.items.filter((i) => send(i.deliveryId)));
    }
  }
}
