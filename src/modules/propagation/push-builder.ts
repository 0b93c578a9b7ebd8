import { Injectable } from '@nestjs/common';
import { RecordLinks } from '../connectors';
import type { ConsentPush } from '../connectors';
import { LedgerReader } from '../ledger';
import type { ClaimedDelivery } from './record-outcomes';

/**
 * Builds a batch's pushes: each person's *current* state in force and identifiers (the ledger's, decrypted
 * only for this call) and the vendor's records of them (every linked one). The ledger's read and the remote ids go in parallel.
 */
@Injectable()
export class PushBuilder {
  constructor(
    private readonly ledger: LedgerReader,
    private readonly links: RecordLinks,
  ) {}

  async build(connectionId: string, claimed: readonly ClaimedDelivery[]): Promise<ConsentPush[]> {
    const subjectIds = [...new Set(claimed.map((c) => c.subject_id))];
    const [people, remote] = await Promise.all([
      this.ledger.personsForPush(subjectIds),
      this.links.remoteIds(connectionId, subjectIds),
    ]);
    return claimed.map((c) => ({
      deliveryId: c.id,
      subjectId: c.subject_id,
      remoteIds: remote.get(c.subject_id) ?? [],
      ...people.get(c.subject_id)!,
    }));
  }
}
