import { Injectable, type OnModuleInit } from '@nestjs/common';
import { LedgerService, SubjectErasureService } from '../ledger';
import type { EntityManager } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { ConnectionRecordRepository } from './connection-record.repository';

/** A remote record to link to a person. */
export interface RecordLinkInput {
  subjectId: string;
  remoteId: string;
  recordType: string;
  /** What the gateway last wrote to the record (to recognise its own writes coming back); null: unchanged. */
  pushed: Record<string, unknown> | null;
}

/** What the gateway knows of a remote record it has seen before. */
export interface KnownRecord {
  subjectId: string;
  lastPushed: Record<string, unknown> | null;
}

/** A record whose values the gateway could not use, and why (the value is never kept). */
export interface RecordProblems {
  remoteId: string;
  recordType: string;
  problems: { field: string; reason: string }[];
}

/**
 * Runs in the caller's transaction when records at a connection do not show a person's current state (a record
 * that appeared after a STOP, a duplicate, a record showing an older value): propagation plans the push.
 */
export type RecordsBehindHook = (
  manager: EntityManager,
  connectionId: string,
  subjectIds: readonly string[],
  /** When the records were read: a push completed since then already brought them up to date. */
  readAt: Date,
) => Promise<void>;

/** A CRM record that came back after its person was erased (its identifiers are suppressed). */
export interface CameBackRecord {
  /** The erased person's pseudonymous skeleton, which the record is linked to until the erasure reaches it. */
  erasedSubjectId: string;
  remoteId: string;
  recordType: string;
}

/**
 * Runs in the caller's transaction when records of erased people appear again at a connection (a CRM import,
 * a backfill, a poll or a webhook saw them): propagation sends the erasure to them again.
 */
export type RecordsCameBackHook = (
  manager: EntityManager,
  connectionId: string,
  records: CameBackRecord[],
) => Promise<void>;

/**
 * Which remote records stand for which person at each connection (several per person: duplicates, a Salesforce
 * Contact and Lead), and the records the gateway could not match. Remote ids are identifiers: sealed at rest, found
 * by a blind index scoped to the connection.
 */
@Injectable()
export class RecordLinks implements OnModuleInit {
  private readonly behindHooks: RecordsBehindHook[] = [];
  private readonly cameBackHooks: RecordsCameBackHook[] = [];

  constructor(
    private readonly records: ConnectionRecordRepository,
    private readonly crypto: CryptoService,
    private readonly ledger: LedgerService,
    private readonly erasure: SubjectErasureService,
  ) {}

  onModuleInit(): void {
    // People the ledger merged are one person at every connection too.
    this.ledger.onSubjectsMerged((manager, merge) =>
      this.repoint(manager, merge.survivorId, merge.mergedIds),
    );
    // A forgotten person's CRM record ids are identifiers too: they go with the person.
    this.erasure.onSubjectForgotten(async (manager, subjectId) => {
      await this.unlinkSubject(manager, subjectId);
    });
  }

  onRecordsBehind(hook: RecordsBehindHook): void {
    this.behindHooks.push(hook);
  }

  /** Tells propagation that these people's records at the connection need their current state. */
  async recordsBehind(
    manager: EntityManager,
    connectionId: string,
    subjectIds: readonly string[],
    readAt: Date,
  ) {
    if (subjectIds.length === 0) return;
    // cross-module: propagation's hook plans deliveries in this transaction.
    for (const hook of this.behindHooks) await hook(manager, connectionId, subjectIds, readAt);
  }

  onRecordsCameBack(hook: RecordsCameBackHook): void {
    this.cameBackHooks.push(hook);
  }

  /** Tells propagation that records of erased people are back at the connection (they get the erasure again). */
  async recordsCameBack(
    manager: EntityManager,
    connectionId: string,
    records: readonly CameBackRecord[],
  ): Promise<void> {
    if (records.length === 0) return;
    // cross-module: propagation's hook plans the erasure deliveries in this transaction.
    for (const hook of this.cameBackHooks) await hook(manager, connectionId, [...records]);
  }

  /** Removes one record's link (the erasure reached it). Returns whether a link was removed. */
  async unlink(manager: EntityManager, connectionId: string, remoteId: string): Promise<boolean> {
    return (await this.records.unlink(manager, connectionId, this.hash(connectionId, remoteId))) > 0;
  }

  /** Removes every record link of a person, at every connection (the gateway forgot them). */
  async unlinkSubject(manager: EntityManager, subjectId: string): Promise<number> {
    return this.records.unlinkSubject(manager, subjectId);
  }

  /** A stable, non-identifying key for a remote record (its blind index), for idempotency keys. */
  remoteKey(connectionId: string, remoteId: string): string {
    return this.hash(connectionId, remoteId).toString('hex').slice(0, 32);
  }

  private hash(connectionId: string, remoteId: string): Buffer {
    return this.crypto.blindIndex(`remote:${connectionId}`, remoteId);
  }

  /** Every record linked to each of these people at the connection, oldest link first. */
  async remoteIds(connectionId: string, subjectIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (subjectIds.length === 0) return out;
    for (const row of await this.records.sealedRemoteIds(connectionId, subjectIds)) {
      const id = this.crypto.openText({ ciphertext: row.remote_id_ciphertext, keyId: row.key_id });
      const list = out.get(row.subject_id);
      if (list) list.push(id);
      else out.set(row.subject_id, [id]);
    }
    return out;
  }

  /** What is known of these records (by remote id; absent: never linked), in one query. */
  async known(
    connectionId: string,
    remoteIds: readonly string[],
    manager?: EntityManager,
  ): Promise<Map<string, KnownRecord>> {
    const byHash = new Map(remoteIds.map((id) => [this.hash(connectionId, id).toString('hex'), id]));
    const rows = await this.records.byRemoteHashes(
      connectionId,
      [...byHash.keys()].map((hex) => Buffer.from(hex, 'hex')),
      manager,
    );
    const out = new Map<string, KnownRecord>();
    for (const row of rows) {
      const remoteId = byHash.get(Buffer.from(row.remoteIdHash).toString('hex'));
      if (remoteId !== undefined)
        out.set(remoteId, { subjectId: row.subjectId, lastPushed: row.lastPushed ?? null });
    }
    return out;
  }

  /** Links (or re-links) records to people, in one statement. */
  async link(
    manager: EntityManager | undefined,
    connectionId: string,
    links: readonly RecordLinkInput[],
  ): Promise<void> {
    await this.records.upsertMany(
      manager,
      connectionId,
      links.map((l) => {
        const sealed = this.crypto.seal(l.remoteId);
        return {
          subjectId: l.subjectId,
          remoteIdHash: this.hash(connectionId, l.remoteId),
          remoteIdCiphertext: sealed.ciphertext,
          keyId: sealed.keyId,
          recordType: l.recordType,
          lastPushed: l.pushed,
        };
      }),
    );
  }

  /** Moves the records of merged people to the person they became (the ledger merged them). */
  repoint(manager: EntityManager, survivorId: string, mergedIds: readonly string[]): Promise<void> {
    return this.records.repoint(manager, survivorId, mergedIds);
  }

  /**
   * Records what was wrong with each record seen (`seen`: every record of the page, so that one seen again
   * without a problem leaves the list).
   */
  async recordProblems(
    manager: EntityManager,
    connectionId: string,
    seen: readonly string[],
    records: readonly RecordProblems[],
  ): Promise<void> {
    await this.records.replaceUnmatched(
      manager,
      connectionId,
      seen.map((id) => this.hash(connectionId, id)),
      records
        .filter((r) => r.problems.length > 0)
        .map((r) => {
          const sealed = this.crypto.seal(r.remoteId);
          return {
            remoteIdHash: this.hash(connectionId, r.remoteId),
            remoteIdCiphertext: sealed.ciphertext,
            keyId: sealed.keyId,
            recordType: r.recordType,
            problems: r.problems,
          };
        }),
    );
  }

  /**
   * "Records we could not match": the record ids (so that an admin can open them at the vendor) with the field
   * and the reason, never the value; and how many there are per reason.
   */
  async unmatched(connectionId: string, limit = 200) {
    const { rows, counts } = await this.records.unmatched(connectionId, limit);
    return {
      counts: Object.fromEntries(counts.map((c) => [c.reason, c.count])),
      records: rows.map((r) => ({
        remote_id: this.crypto.openText({ ciphertext: r.remoteIdCiphertext, keyId: r.keyId }),
        record_type: r.recordType,
        field: r.field,
        reason: r.reason,
        first_seen_at: new Date(r.firstSeenAt).toISOString(),
        last_seen_at: new Date(r.lastSeenAt).toISOString(),
      })),
    };
  }
}
