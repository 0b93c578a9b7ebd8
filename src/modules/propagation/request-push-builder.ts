import { Injectable } from '@nestjs/common';
import {
  type AccessPull,
  type ErasurePush,
  type RectificationPush,
  RecordLinks,
  type RestrictionPush,
  type SubjectRef,
} from '../connectors';
import { LedgerReader } from '../ledger';
import type { RequestOperation } from './propagation.constants';
import type { ClaimedDelivery } from './record-outcomes';
import { RequestDeliveryRepository } from './request-delivery.repository';
import { payloadPlace, RequestPayloads } from './request-payload';

/** One operation's items for one connector call (operations are never mixed in a call). */
export type RequestBatch =
  | { operation: 'erasure'; items: ErasurePush[] }
  | { operation: 'restriction'; items: RestrictionPush[] }
  | { operation: 'rectification'; items: RectificationPush[] }
  | { operation: 'access_export'; items: AccessPull[] };

/** Why a rectification could not be sent: its values were cleared (the request ended, the person was forgotten). */
export const PAYLOAD_CLEARED = 'payload_cleared';

/**
 * Builds a batch of one request operation: who the person is at this connection (the ledger's identifiers,
 * decrypted only for this call, and every linked record), and what the operation needs (the erasure mode, the
 * person's *current* restriction, the rectified values). A record that came back after an erasure is named by
 * its remote ids alone: the gateway no longer knows the person's identifiers.
 */
@Injectable()
export class RequestPushBuilder {
  constructor(
    private readonly ledger: LedgerReader,
    private readonly links: RecordLinks,
    private readonly rows: RequestDeliveryRepository,
    private readonly payloads: RequestPayloads,
  ) {}

  async build(
    connection: { id: string; erasureMode: ErasurePush['mode'] },
    operation: RequestOperation,
    claimed: readonly ClaimedDelivery[],
  ): Promise<{ batch: RequestBatch; unsendable: { deliveryId: string; reason: string }[] }> {
    const subjectIds = [...new Set(claimed.map((c) => c.subject_id))];
    const [people, remote, sealed] = await Promise.all([
      this.ledger.personsForPush(subjectIds),
      this.links.remoteIds(connection.id, subjectIds),
      this.rows.payloads(claimed.map((c) => c.id)),
    ]);
    const refs = claimed.map((c): SubjectRef & { payload: ReturnType<RequestPayloads['open']> } => {
      const payload = this.payloads.open(
        sealed.get(c.id) ?? { ciphertext: null, keyId: null },
        payloadPlace(c.subject_id, c.operation),
      );
      const person = people.get(c.subject_id);
      const cameBack = !c.request_id && payload.remoteIds !== undefined;
      return {
        deliveryId: c.id,
        subjectId: c.subject_id,
        requestId: c.request_id ?? null,
        phones: cameBack ? [] : (person?.phones ?? []),
        emails: cameBack ? [] : (person?.emails ?? []),
        remoteIds: cameBack ? (payload.remoteIds ?? []) : (remote.get(c.subject_id) ?? []),
        payload,
      };
    });
    const ref = ({ payload: _payload, ...rest }: (typeof refs)[number]): SubjectRef => rest;
    switch (operation) {
      case 'erasure':
        return {
          batch: { operation, items: refs.map((r) => ({ ...ref(r), mode: connection.erasureMode })) },
          unsendable: [],
        };
      case 'restriction':
        // State, not delta: a delivery planned by a restriction that was lifted since pushes the lift.
        return {
          batch: {
            operation,
            items: refs.map((r) => {
              const person = people.get(r.subjectId);
              return { ...ref(r), restricted: person?.restricted ?? false, states: person?.states ?? [] };
            }),
          },
          unsendable: [],
        };
      case 'rectification': {
        const sendable = refs.filter((r) => r.payload.rectification);
        return {
          batch: {
            operation,
            items: sendable.map((r) => ({ ...ref(r), ...r.payload.rectification! })),
          },
          unsendable: refs
            .filter((r) => !r.payload.rectification)
            .map((r) => ({ deliveryId: r.deliveryId, reason: PAYLOAD_CLEARED })),
        };
      }
      case 'access_export':
        return { batch: { operation, items: refs.map(ref) }, unsendable: [] };
    }
  }
}
