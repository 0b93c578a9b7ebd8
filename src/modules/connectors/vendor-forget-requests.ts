import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  SubjectRequestIntake,
  type IdentityInput,
  type SubjectRequestOrigin,
  type SubjectRequestType,
} from '../ledger';
import type { ForgetSignal } from './connector.port';
import { RecordLinks } from './record-links.service';

/** The connection a poll read the signals from. */
export interface ForgetSource {
  id: string;
  type: 'hubspot' | 'salesforce';
  /** The vendor's account id (Salesforce org id); the connection id when unknown. */
  externalAccountId: string | null;
}

/**
 * Turns requests to forget a person made in a CRM (a Salesforce Individual with ShouldForget set) into erasure
 * requests of the gateway, in the poll's transaction (the request commits with the cursor that carried it). The
 * person is found through the records the gateway linked (the Individual or its Contacts and Leads); a record it
 * never linked is received with the identifiers the records hold, and one that holds none as matching nobody (the
 * intake records that answer). Each change is received once: the dedupe key names the change at the vendor, and
 * the intake absorbs a second request for a person whose erasure is already open (the gateway's own ShouldForget).
 */
@Injectable()
export class VendorForgetRequests {
  constructor(
    private readonly links: RecordLinks,
    // Provided by the requests module (a higher module) through DI: the app does not start without it.
    private readonly intake: SubjectRequestIntake,
  ) {}

  /** Returns how many requests were handed to the intake. */
  async receive(
    manager: EntityManager,
    source: ForgetSource,
    signals: readonly ForgetSignal[],
    receivedAt: Date,
  ): Promise<number> {
    if (signals.length === 0) return 0;
    const account = source.externalAccountId ?? source.id;
    let received = 0;
    for (const signal of signals) {
      const known = await this.links.known(
        source.id,
        [signal.remoteId, ...signal.records.map((r) => r.remoteId)],
        manager,
      );
      const subjectIds = [...new Set([...known.values()].map((k) => k.subjectId))].sort();
      const type: SubjectRequestType = 'erasure';
      const origin: SubjectRequestOrigin = 'salesforce_should_forget';
      const base = {
        type,
        origin,
        receivedAt,
        originConnectionId: source.id,
        originEvidence: {
          record_type: signal.recordType,
          records_at_vendor: signal.records.length,
          linked: subjectIds.length > 0,
        },
      };
      const dedupeKey = `${source.type}:${account}:${signal.changeKey}`;
      if (subjectIds.length === 0) {
        const identities: IdentityInput[] = signal.identities.map((i) => ({
          kind: i.kind,
          value: i.value,
          region: i.region,
        }));
        await this.intake.receive(manager, { ...base, dedupeKey, subjectId: null, identities });
        received++;
        continue;
      }
      // Records of several people the gateway has not merged: each of them is erased (one request each).
      for (const subjectId of subjectIds) {
        await this.intake.receive(manager, {
          ...base,
          dedupeKey: subjectIds.length === 1 ? dedupeKey : `${dedupeKey}:${subjectId}`,
          subjectId,
          identities: [],
        });
        received++;
      }
    }
    return received;
  }
}
