import { Injectable } from '@nestjs/common';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { ConnectionService } from '../connectors/connection.service';
import type { ConsentPush, ConsentStateSnapshot } from '../connectors/connector.port';
import { effectiveState } from '../ledger/conflict-rules';
import { PersonSnapshotRepository } from './person-snapshot.repository';
import type { ClaimedDelivery } from './record-outcomes';

type Person = {
  phone: string | null;
  waId: string | null;
  email: string | null;
  states: ConsentStateSnapshot[];
};

/** Builds a batch's pushes: each person's *current* state and identifiers, decrypted only for this call. */
@Injectable()
export class PushBuilder {
  constructor(
    private readonly snapshots: PersonSnapshotRepository,
    private readonly crypto: CryptoService,
    private readonly connections: ConnectionService,
  ) {}

  async build(connectionId: string, claimed: readonly ClaimedDelivery[]): Promise<ConsentPush[]> {
    const subjectIds = [...new Set(claimed.map((c) => c.subject_id))];
    const states = await this.snapshots.states(subjectIds);
    const identities = await this.snapshots.identities(subjectIds);
    const remote = await this.connections.remoteIds(connectionId, subjectIds);
    const bySubject = new Map<string, Person>();
    for (const id of subjectIds) bySubject.set(id, { phone: null, waId: null, email: null, states: [] });
    for (const row of identities) {
      const entry = bySubject.get(row.subject_id)!;
      const value = this.crypto.openText({ ciphertext: row.value_ciphertext, keyId: row.key_id });
      if (row.kind === 'phone') entry.phone ??= value;
      if (row.kind === 'wa_id') entry.waId ??= value;
      if (row.kind === 'email') entry.email ??= value;
    }
    for (const s of states) {
      bySubject.get(s.subject_id)!.states.push({
        purpose: s.purpose,
        channel: s.channel,
        scope: s.scope,
        status: s.status,
        capturedAt: new Date(s.captured_at).toISOString(),
        source: s.source,
        eventId: s.event_id,
        method: s.method,
        legalBasis: s.legal_basis,
      });
    }
    // Connectors get the state in force for each scope (the conflict rules applied), not raw rows: a
    // grant of every number after a withdrawal of one is in force for that one too.
    for (const entry of bySubject.values()) entry.states = inForce(entry.states);
    return claimed.map((c) => ({
      deliveryId: c.id,
      subjectId: c.subject_id,
      remoteId: remote.get(c.subject_id) ?? null,
      ...bySubject.get(c.subject_id)!,
    }));
  }
}

/** For each scope a person has a state in, the state in force there under the conflict rules. */
export function inForce(states: readonly ConsentStateSnapshot[]): ConsentStateSnapshot[] {
  const groups = new Map<string, ConsentStateSnapshot[]>();
  for (const s of states) {
    const key = `${s.purpose}\u0000${s.channel}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const out: ConsentStateSnapshot[] = [];
  for (const rows of groups.values()) {
    const asRows = rows.map((r) => ({
      scope: r.scope,
      status: r.status,
      capturedAt: new Date(r.capturedAt),
    }));
    for (const row of rows) {
      const effective = effectiveState(asRows, row.scope);
      const winner = effective ? rows.find((r) => r.scope === effective.scope)! : row;
      out.push({ ...winner, scope: row.scope });
    }
  }
  return out;
}
