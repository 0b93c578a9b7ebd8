import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { keyedAuditHash, type ChainPoint } from './audit-chain';
import { AUDIT_CHAIN_KEYS, type AuditChainKeys } from './audit-chain-key';
import { AuditEventRepository, type ChainLink } from './audit-event.repository';

/** Entries linked per UPDATE. */
const CHAIN_BATCH = 1000;

/**
 * Links entries into the chain after they were written. Writers only insert, so they never wait on each
 * other; this runs under the chain lock (one chainer at a time across every process) and gives each entry the
 * next place and its keyed hash, in the order of the entries' numbers among those committed by then. An entry
 * that commits late (a lower number than one already chained) simply takes a later place.
 */
@Injectable()
export class AuditChainer {
  constructor(
    private readonly events: AuditEventRepository,
    @Inject(AUDIT_CHAIN_KEYS) private readonly keys: AuditChainKeys,
  ) {}

  /** Chains every entry committed so far; `manager` is a transaction holding the chain lock. */
  async chainPending(manager: EntityManager): Promise<ChainPoint> {
    let head = await this.events.head(manager);
    for (;;) {
      const rows = await this.events.unchained(manager, CHAIN_BATCH);
      const links: ChainLink[] = [];
      for (const row of rows) {
        const chain_seq = String(head.position + 1);
        const hash = keyedAuditHash(this.keys.current, head.hash, { ...row, chain_seq });
        links.push({ seq: row.seq, chain_seq, prev_hash: head.hash, hash });
        head = { position: head.position + 1, hash };
      }
      await this.events.link(manager, links);
      if (rows.length < CHAIN_BATCH) return head;
    }
  }
}
